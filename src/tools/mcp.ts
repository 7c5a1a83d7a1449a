/**
 * The host's side of remote MCP servers (src/protocol `ExecutionHost.connectMcpServer`):
 * connects with the AI SDK's MCP client (`@ai-sdk/mcp`), lists the server's tools and
 * calls them. The engine decides when to connect and close (src/engine/mcp-servers.ts).
 *
 * - Transport: `http` is Streamable HTTP, `sse` the older HTTP+SSE transport; the AI
 *   SDK's client does not fall back from one to the other, the protocol says which.
 * - Redirects are refused (`redirect: 'error'`, as for HTTP tools), so that the address
 *   the protocol names is the one reached.
 * - Connecting and listing the tools take at most `MCP_CONNECT_TIMEOUT_MS`.
 * - A tool's result becomes one JSON value (`toolResultValue`); a result the server
 *   marks `isError` rejects with its text, which the engine gives the model as the
 *   call's error.
 */
import { createMCPClient, type CallToolResult, type ListToolsResult, type MCPClient } from '@ai-sdk/mcp';
import type { JSONSchema7 } from 'ai';
import type { OutboundPolicy } from '../net/outbound.js';
import type { McpConnection, McpServerRequest } from '../engine/execute.js';
import { timeoutSignal } from '../engine/limits.js';

/** Longest time to connect to a server and list its tools, in ms. */
export const MCP_CONNECT_TIMEOUT_MS = 30_000;

/** Pages of `tools/list` read at most; a server that pages on beyond this is refused. */
const MAX_TOOL_PAGES = 20;

/**
 * Connects to `server` and lists its tools.
 * @param signal aborts the attempt (the run's cancellation or its step time limit)
 * @param outbound where servers may be (src/net/outbound.ts); every request goes through it
 * @throws the client's error when the server cannot be reached, does not speak MCP or
 *   cannot list its tools; the connection is closed first.
 */
export async function connectMcpServer(server: McpServerRequest, signal: AbortSignal, outbound: OutboundPolicy): Promise<McpConnection> {
  const bounded = AbortSignal.any([signal, timeoutSignal(MCP_CONNECT_TIMEOUT_MS)]);
  let client: MCPClient;
  try {
    client = await createMCPClient({
      transport: { type: server.transport, url: server.url, headers: server.headers, redirect: 'error', fetch: outbound.platformFetch },
      initializationOptions: { signal: bounded },
      clientName: 'workforce-server',
    });
  } catch (error) {
    throw new Error(withCauses(error), { cause: error });
  }
  try {
    const definitions = await listAllTools(client, bounded);
    const tools = client.toolsFromDefinitions(definitions);
    return {
      tools: definitions.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        inputSchema: tool.inputSchema as JSONSchema7,
      })),
      callTool: async (name, args, context) => {
        const tool = tools[name];
        if (!tool) throw new Error(`MCP server "${server.name}" has no tool "${name}".`);
        const result = await tool.execute(args, { toolCallId: context.toolCallId, messages: [], abortSignal: context.signal });
        // The AI SDK's tool type allows streamed (iterable) results; an MCP tool returns one result.
        if (Symbol.asyncIterator in result) throw new Error(`MCP tool "${name}" streamed its result, which is not supported.`);
        return toolResultValue(result);
      },
      close: () => client.close(),
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(withCauses(error), { cause: error });
  }
}

/**
 * An error's message followed by those of its causes, so that `fetch failed` says why
 * (`fetch failed: connect ECONNREFUSED 127.0.0.1:9`).
 */
function withCauses(error: unknown): string {
  const messages: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message !== '' && !messages.includes(message)) messages.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join(': ');
}

/** Every page of `tools/list`. */
async function listAllTools(client: MCPClient, signal: AbortSignal): Promise<ListToolsResult> {
  let page = await client.listTools({ options: { signal } });
  const tools = [...page.tools];
  for (let pages = 1; page.nextCursor !== undefined; pages++) {
    if (pages >= MAX_TOOL_PAGES) throw new Error(`the server lists its tools in more than ${MAX_TOOL_PAGES} pages`);
    page = await client.listTools({ params: { cursor: page.nextCursor }, options: { signal } });
    tools.push(...page.tools);
  }
  return { tools };
}

/**
 * A tool's result as one JSON value (our choice; MCP results are lists of content parts):
 * - `structuredContent` when the server gives it (the tool's declared output);
 * - else the text when every content part is text (parts joined by newlines);
 * - else the content parts themselves (images, resources…) as JSON;
 * - the legacy `toolResult` form as it is.
 * @throws Error with the result's text when the server marks it `isError`.
 */
export function toolResultValue(result: CallToolResult): unknown {
  if ('toolResult' in result) return result.toolResult;
  const texts = result.content.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  const allText = texts.length === result.content.length;
  if (result.isError) throw new Error(allText && texts.length > 0 ? texts.join('\n') : `The tool failed: ${JSON.stringify(result.content)}`);
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  return allText ? texts.join('\n') : result.content;
}
