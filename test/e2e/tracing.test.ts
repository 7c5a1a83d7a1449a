/**
 * OpenTelemetry traces as a collector receives them: the server as `npm start` runs it,
 * configured only by the standard `OTEL_*` variables, exporting OTLP over HTTP (JSON) to a
 * receiver in this test. A mutation's operation span continues the caller's trace and has
 * its SQL statements beneath it; the run it starts is a trace of its own, linked to it,
 * with a span per block and the model call beneath its block.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readProtocolPackage } from '../../src/engine/package-files.js';
import { eventually } from '../support/fake-clock.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';

/** A span as OTLP/JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number };
}

/** OTLP's SpanKind: SERVER and CLIENT. */
const SERVER = 2;
const CLIENT = 3;

/** A span's attribute value, whatever its OTLP/JSON type. */
function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value && Object.values(value)[0];
}

/** An OTLP/HTTP receiver of traces: every span of every `POST /v1/traces` it got. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const request = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const resource of request.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

// The server process compiles and migrates at start: a hook's time, not a test's.
describe('OpenTelemetry traces over OTLP/HTTP', { timeout: 120_000 }, () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let database: TestDatabase;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    // PostgreSQL (postgres.js) when DATABASE_URL is set, else PGlite: SQL spans from either driver.
    database = await createTestDatabase();
    server = startServerProcess({
      ...database.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'workforce-under-test',
    });
    url = (await server.listening).url;
  }, 120_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await database?.drop();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  const gql = async (query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return ((await response.json()) as { data: any }).data;
  };

  it('exports the operation span with its SQL beneath, and the run it started as a linked trace of blocks and model calls', async () => {
    const pkg = await readProtocolPackage(new URL('../../examples/title-generator', import.meta.url).pathname);
    const created = await gql(
      'mutation Create($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename } }',
      { input: { slug: 'title-generator', source: pkg.source, prompts: pkg.prompts } },
    );
    expect(created.createProtocol.__typename).toBe('Protocol');

    // The caller's trace (W3C traceparent): the operation span continues it.
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const executed = await gql(
      'mutation Execute($input: ExecuteWorkerInput!) { executeWorker(input: $input) { __typename ... on Run { id } } }',
      { input: { protocol: 'title-generator', input: { CONVERSATION_SUMMARY: 'Tracing a GraphQL server' } } },
      { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    );
    const runId = executed.executeWorker.id as string;
    await eventually(async () => ((await gql('query ($id: ID!) { run(id: $id) { status } }', { id: runId })).run.status === 'COMPLETED' ? true : undefined), 60_000, 'the run');

    const { spans } = receiver;
    const operation = await eventually(async () => spans.find((s) => s.name === 'mutation.Execute'), 60_000, 'the operation span');
    expect(operation).toMatchObject({ traceId: callerTrace, parentSpanId: callerSpan, kind: SERVER });
    expect(attribute(operation, 'graphql.execute.operationName')).toBe('Execute');
    const childrenOf = (parent: OtlpSpan) => spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
    const insert = childrenOf(operation).find((s) => s.name === 'INSERT' && String(attribute(s, 'db.query.text')).includes('"runs"'));
    expect(insert, 'the INSERT of the run, beneath the operation').toMatchObject({ kind: CLIENT });
    expect(attribute(insert!, 'db.system.name')).toBe('postgresql');

    const run = await eventually(async () => spans.find((s) => s.name === 'run title-generator'), 60_000, 'the run span');
    expect(run.traceId).not.toBe(callerTrace);
    expect(run.parentSpanId ?? '').toBe('');
    expect(run.links).toContainEqual(expect.objectContaining({ traceId: callerTrace }));
    expect(attribute(run, 'workforce.run.outcome')).toBe('completed');

    const blocks = await eventually(async () => {
      const found = childrenOf(run).filter((s) => s.name.startsWith('block '));
      return found.length === 3 ? found : undefined;
    }, 60_000, 'the three block spans');
    expect(blocks.map((s) => attribute(s, 'workforce.block.name')).sort()).toEqual(['Add title request', 'Generate title', 'Start title thread']);
    const generate = blocks.find((s) => s.name === 'block next-message')!;
    const model = await eventually(async () => childrenOf(generate).find((s) => s.name === 'ai.streamText'), 60_000, 'the model call span');
    expect(attribute(model, 'ai.telemetry.functionId')).toBe('title-generator/Generate title');
    expect(attribute(model, 'ai.prompt')).toBeUndefined(); // prompts are not recorded unless asked for
    expect(spans.some((s) => s.traceId === run.traceId && s.name === 'UPDATE' && attribute(s, 'db.system.name') === 'postgresql')).toBe(true);
  });
});
