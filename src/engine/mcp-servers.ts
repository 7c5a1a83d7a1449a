/**
 * Remote MCP servers (docs/protocol.md sections 3, 6 and 7, `mcpServers`; issue 3): a thread
 * whose start-thread lists servers offers their tools to its model, and the calls run
 * on those servers. The host makes the connections (`ExecutionHost.connectMcpServer`:
 * the network, which addresses may be reached and the MCP client are its business);
 * the engine decides when to open and close them and turns their tools into bindings.
 *
 * Lifecycle (our choices; upstream leaves connections to its platform):
 * - Connections belong to one leg of an execution, at most one per server. A
 *   start-thread connects to each of its servers at once (upstream `connection: eager`),
 *   so that a server that cannot be reached fails that step with an error naming it.
 * - A thread's state keeps only the servers' names (`RunState` is JSON), so the next leg
 *   (after a pause for client tools, or a crash) connects again at the thread's first
 *   next-message, and lists the tools afresh.
 * - `executeWorker` closes every connection of the leg when it ends, however it ends
 *   (completed, failed, paused, cancelled), waiting at most `MCP_CLOSE_TIMEOUT_MS`.
 *
 * Tools: each tool a server lists is offered as `<server>__<tool>` (`MCP_TOOL_SEPARATOR`,
 * as upstream), with the server's JSON Schema (no `additionalProperties` means none
 * allowed, as the AI SDK's MCP client does), its description (the server declaration's
 * `description` for a tool without one), and the declaration's `display`/`title` (default
 * `description`). Calls go through the same validation, events and time limit as a host
 * handler (`tool-input-available`, then `tool-output-available` or `tool-output-error`);
 * an error reported by the server is the call's error result and the run goes on.
 */
import type { JSONSchema7 } from 'ai';
import { ExecutionFailure } from './execution-errors.js';
import type { ExecutionHost, McpConnection, McpServerRequest, McpTool, ToolContext } from './execution-types.js';
import type { RunClock } from './limits.js';
import { MCP_TOOL_SEPARATOR } from './naming.js';
import type { Execution } from './run-context.js';
import type { ToolBinding } from './tool-bindings.js';
import { schemaValidator, type SchemaValidator } from './type-schemas.js';
import type { McpServerDeclaration, Protocol } from './types.js';

/** Longest wait for one connection to close when a leg ends, in ms; a server that takes longer is left to itself. */
export const MCP_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Tool names every provider accepts (OpenAI and Anthropic: letters, digits, `_` and
 * `-`, at most 64 characters). A namespaced MCP tool outside it fails the step clearly
 * rather than being renamed (a renamed tool could clash) or dropped silently.
 */
const MODEL_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The name the model calls for tool `tool` of server `server`. */
function mcpToolName(server: string, tool: string): string {
  return `${server}${MCP_TOOL_SEPARATOR}${tool}`;
}

interface OpenConnection {
  /** Settles once: the connection, or the step failure. */
  promise: Promise<McpConnection>;
  /** Set when `promise` has resolved. */
  connection?: McpConnection;
}

/** The MCP connections of one leg (see the module comment). */
export class McpConnections {
  readonly #open = new Map<string, OpenConnection>();

  constructor(
    private readonly protocol: Protocol,
    private readonly host: ExecutionHost,
    private readonly clock: RunClock,
  ) {}

  /**
   * The connection to server `name`, opened on its first use in this leg, bounded by
   * `limits.stepTimeoutMs`.
   * @throws ExecutionFailure `unsupported_error` when the server is not remote or the
   *   host cannot connect to MCP servers; `execution_error` naming the server when it
   *   cannot be reached or lists a tool whose name no model accepts; RunCancelled or the
   *   run-timeout failure when the run stops meanwhile.
   */
  connect(name: string): Promise<McpConnection> {
    const known = this.#open.get(name);
    if (known) return known.promise;
    const entry: OpenConnection = { promise: this.#connect(name) };
    this.#open.set(name, entry);
    entry.promise.then(
      (connection) => {
        entry.connection = connection;
      },
      () => {
        if (this.#open.get(name) === entry) this.#open.delete(name);
      },
    );
    return entry.promise;
  }

  /** Runs tool `tool` of server `server` (a binding's call: the server is connected in this leg). */
  async callTool(server: string, tool: string, args: Record<string, unknown>, context: ToolContext): Promise<unknown> {
    const connection = await this.connect(server);
    return connection.callTool(tool, args, { toolCallId: context.toolCallId, signal: context.signal });
  }

  /**
   * Closes every connection of the leg; never rejects. A connection still being opened
   * is closed as soon as it opens, without waiting for it.
   */
  async close(): Promise<void> {
    const entries = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(
      entries.map((entry) => {
        if (entry.connection) return closeQuietly(entry.connection);
        entry.promise.then(closeQuietly, () => undefined);
        return undefined;
      }),
    );
  }

  async #connect(name: string): Promise<McpConnection> {
    const server = this.protocol.mcpServers.find((candidate) => candidate.name === name);
    if (!server) throw new ExecutionFailure('execution_error', `MCP server "${name}" is not declared.`);
    if (server.source !== 'remote') {
      throw new ExecutionFailure('unsupported_error', `MCP server "${name}" has source "${server.source}", which this server does not connect to.`);
    }
    if (!this.host.connectMcpServer) throw new ExecutionFailure('unsupported_error', `This host cannot connect to MCP servers (MCP server "${name}").`);
    const request: McpServerRequest = { name, url: server.url, headers: { ...server.headers }, transport: server.transport };
    const signal = this.clock.stepSignal();
    const where = `MCP server "${name}" at ${new URL(server.url).origin}`;
    const attempt = this.host.connectMcpServer(request, signal);
    let outcome: { connection: McpConnection } | { error: unknown } | 'stopped';
    try {
      outcome = await untilAborted(attempt, signal);
    } catch (error) {
      outcome = { error };
    }
    if (outcome === 'stopped') {
      // The host may still connect after giving up on it: that connection is closed.
      attempt.then(closeQuietly, () => undefined);
      this.clock.throwIfStopped();
      throw new ExecutionFailure('execution_error', `${where} could not be reached: no answer within ${this.clock.stepTimeoutMs} ms (limits.stepTimeoutMs).`);
    }
    if ('error' in outcome) {
      this.clock.throwIfStopped();
      const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      throw new ExecutionFailure('execution_error', `${where} could not be reached: ${reason}`);
    }
    const invalid = outcome.connection.tools.find((tool) => !MODEL_TOOL_NAME.test(mcpToolName(name, tool.name)));
    if (invalid) {
      await closeQuietly(outcome.connection);
      throw new ExecutionFailure(
        'execution_error',
        `${where} lists tool "${invalid.name}", but "${mcpToolName(name, invalid.name)}" is not a name models accept (letters, digits, _ and -, at most 64 characters).`,
      );
    }
    return outcome.connection;
  }
}

/** Resolves with `promise`'s value, or `'stopped'` as soon as `signal` aborts. */
async function untilAborted(promise: Promise<McpConnection>, signal: AbortSignal): Promise<{ connection: McpConnection } | 'stopped'> {
  if (signal.aborted) return 'stopped';
  let stop: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    stop = () => resolve('stopped');
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([promise.then((connection) => ({ connection })), stopped]);
  } finally {
    if (stop) signal.removeEventListener('abort', stop);
  }
}

/** Closes `connection`, ignoring its errors, waiting at most `MCP_CLOSE_TIMEOUT_MS`. */
async function closeQuietly(connection: McpConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, MCP_CLOSE_TIMEOUT_MS);
  });
  try {
    // A close that fails leaves nothing for the run to do: the session ends on the server's side.
    await Promise.race([Promise.resolve().then(() => connection.close()).catch(() => undefined), timeUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bindings of the MCP tools thread `threadName` offers, connecting to its servers
 * (in parallel) where this leg has not yet.
 * @throws the failures of `McpConnections.connect`.
 */
export async function mcpToolBindings(exec: Execution, threadName: string): Promise<ToolBinding[]> {
  const names = exec.thread(threadName).settings.mcpServers ?? [];
  const servers = await Promise.all(
    names.map(async (name) => {
      const connection = await exec.mcp.connect(name);
      const declaration = exec.protocol.mcpServers.find((server) => server.name === name)!;
      return connection.tools.map((tool) => mcpToolBinding(declaration, tool));
    }),
  );
  return servers.flat();
}

function mcpToolBinding(server: McpServerDeclaration, tool: McpTool): ToolBinding {
  const schema: JSONSchema7 = {
    ...tool.inputSchema,
    type: 'object',
    properties: tool.inputSchema.properties ?? {},
    additionalProperties: tool.inputSchema.additionalProperties ?? false,
  };
  return {
    name: mcpToolName(server.name, tool.name),
    description: tool.description ?? server.description ?? `Tool "${tool.name}" of the MCP server "${server.name}".`,
    schema,
    validate: serverSchemaValidator(schema),
    display: server.display ?? 'description',
    ...(server.title !== undefined ? { title: server.title } : {}),
    runner: { kind: 'mcp', server: server.name, tool: tool.name },
  };
}

/**
 * A validator for a schema written by an MCP server. A schema the validator cannot
 * compile (keywords zod's JSON Schema import lacks) still reaches the model; its
 * arguments are then only checked to be an object, and the server checks the rest.
 */
function serverSchemaValidator(schema: JSONSchema7): SchemaValidator {
  try {
    return schemaValidator(schema);
  } catch {
    return (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) ? { ok: true, value } : { ok: false, message: 'The arguments must be an object.' };
  }
}
