/**
 * A local HTTP endpoint that answers every POSTed JSON body with JSON: what an HTTP tool
 * (a protocol's `httpTools` binding) or a webhook calls in tests. It listens on
 * 127.0.0.1, so the test app needs `OUTBOUND_ALLOW: '127.0.0.1'` to reach it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonEndpoint {
  /** `http://127.0.0.1:<port>/` plus the path given. */
  url: string;
  /** The parsed bodies received, oldest first. */
  requests: unknown[];
  close(): Promise<void>;
}

/** Starts an endpoint at `path` whose answer to a request body is `answer(body)`. */
export async function startJsonEndpoint(path: string, answer: (body: any) => unknown): Promise<JsonEndpoint> {
  const requests: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body: unknown = text ? JSON.parse(text) : null;
      requests.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
