/**
 * A real MCP server for tests of remote `mcpServers`: @modelcontextprotocol/sdk's
 * `McpServer` behind the Streamable HTTP transport (stateful: one session per client),
 * on node:http on 127.0.0.1. It records the headers and tool calls it receives and
 * counts the sessions opened and closed (a client's `close()` ends its session with
 * `DELETE`).
 *
 * Tools: `search {query}` answers text, `add {a, b}` structured content, `fail {}` an
 * error result.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface McpTestServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:54321/mcp`. */
  url: string;
  /** Headers of every request, in arrival order. */
  headers: IncomingHttpHeaders[];
  /** Every tool call, in order. */
  calls: Array<{ tool: string; args: unknown }>;
  /** Sessions initialized and sessions ended by their client. */
  sessions: { opened: number; closed: number };
  close(): Promise<void>;
}

function mcpServer(calls: McpTestServer['calls']): McpServer {
  const server = new McpServer({ name: 'docs-test-server', version: '1.0.0' });
  server.registerTool(
    'search',
    { description: 'Searches the product documentation.', inputSchema: { query: z.string().describe('What to look for') } },
    async ({ query }) => {
      calls.push({ tool: 'search', args: { query } });
      return { content: [{ type: 'text', text: `Found 2 pages about ${query}` }] };
    },
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    async ({ a, b }) => {
      calls.push({ tool: 'add', args: { a, b } });
      return { content: [{ type: 'text', text: JSON.stringify({ sum: a + b }) }], structuredContent: { sum: a + b } };
    },
  );
  server.registerTool('fail', { description: 'Always fails.' }, async () => {
    calls.push({ tool: 'fail', args: {} });
    return { content: [{ type: 'text', text: 'The index is offline' }], isError: true };
  });
  return server;
}

/** Starts the server on a free port; `close()` it after the tests. */
export async function startMcpTestServer(): Promise<McpTestServer> {
  const headers: IncomingHttpHeaders[] = [];
  const calls: McpTestServer['calls'] = [];
  const sessions = { opened: 0, closed: 0 };
  const transports = new Map<string, StreamableHTTPServerTransport>();

  const http = createServer((req, res) => {
    headers.push(req.headers);
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (known) {
      void known.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    // A POST without a known session: an initialize request starts a new session.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        sessions.opened += 1;
        transports.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.closed += 1;
        transports.delete(id);
      },
    });
    void mcpServer(calls)
      .connect(transport)
      .then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    calls,
    sessions,
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port that was free a moment ago). */
export async function unreachableUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise<void>((resolve) => http.close(() => resolve()));
  return `http://127.0.0.1:${port}/mcp`;
}
