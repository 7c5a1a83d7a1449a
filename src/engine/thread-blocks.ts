/**
 * Execution of the thread blocks (docs/protocol.md section 7): start-thread, add-message and
 * serialize-thread (next-message is next-message.ts).
 *
 * Choices where the docs are silent (OPEN):
 * - `maxSteps` defaults to 1 (section 7's suggestion; 10 is the interactive `agent`'s).
 * - add-message `visible` and `uiContent` only concern a chat UI; a worker has none,
 *   so the engine does not act on them (the LLM sees the prompt either way).
 *
 * start-thread connects to the thread's remote `mcpServers` (mcp-servers.ts), so that a
 * server that cannot be reached fails this step, naming it.
 *
 * Platform features this server does not run fail the start-thread that enables them
 * with `unsupported_error` (validation warns first), rather than being dropped
 * silently: `skills` (hosted sandboxes), MCP servers of `source: device` or `consumer`
 * (their tools come from the caller's SDK), `onDemandMcpServers` (the platform's
 * project-level connections), and `webSearch` without a host handler for
 * `octavus_web_search`. So do `imageModel`, `workers` and remote `mcpServers` when the
 * host cannot resolve image models, start workers or connect to MCP servers.
 */
import type { FilePart, TextPart } from 'ai';
import { BUILT_IN_TOOLS } from './built-in-tools.js';
import { ExecutionFailure } from './execution-errors.js';
import type { ThreadState } from './execution-types.js';
import { resolveImageModel, resolveModel, threadModel } from './model-resolution.js';
import { renderPrompt } from './render.js';
import type { BlockOutcome, BlockRun } from './run-context.js';
import { serializeThread } from './serialize-thread.js';
import type { BlockOf } from './types.js';

const DONE: BlockOutcome = { status: 'done' };

/**
 * start-thread: resolves the thread's settings (references through section 9), checks
 * that the server can run what it enables, renders its system prompt, connects to its
 * MCP servers, creates an empty history.
 * @throws ExecutionFailure `validation_error` for a missing or invalid dynamic value,
 *   `not_found_error` for an unknown model, `unsupported_error` (module comment), and
 *   `execution_error` naming an MCP server that cannot be reached.
 */
export async function startThread(run: BlockRun, block: BlockOf<'start-thread'>): Promise<BlockOutcome> {
  const { exec } = run;
  const { scope, host } = exec;
  checkSupported(run, block);
  const model = threadModel(scope, block);
  resolveModel(host, model);
  const backupModel = scope.model(block.backupModel, 'backupModel');
  const imageModel = scope.model(block.imageModel, 'imageModel');
  if (imageModel !== undefined) resolveImageModel(host, imageModel);
  const temperature = scope.temperature(block.temperature);
  const thinking = scope.thinking(block.thinking);
  const thread: ThreadState = {
    model,
    settings: { maxSteps: scope.maxSteps(block.maxSteps) ?? 1, tools: [...block.tools] },
    system: renderPrompt(block.system, { prompts: exec.protocol.prompts, input: block.input, lookup: scope.lookup, context: scope.contextNames }),
    messages: [],
  };
  const { settings } = thread;
  if (backupModel !== undefined) thread.backupModel = backupModel;
  // "off" disables the setting explicitly: the provider's default applies (section 9).
  if (temperature !== undefined && temperature !== 'off') settings.temperature = temperature;
  if (thinking !== undefined) settings.thinking = thinking;
  if (block.maxOutputTokens !== undefined) settings.maxOutputTokens = block.maxOutputTokens;
  if (block.maxToolOutputTokens !== undefined) settings.maxToolOutputTokens = block.maxToolOutputTokens;
  if (block.workers.length > 0) settings.workers = [...block.workers];
  if (block.references.length > 0) settings.references = [...block.references];
  if (imageModel !== undefined) settings.imageModel = imageModel;
  if (block.webSearch) settings.webSearch = true;
  if (block.todoList) settings.todoList = true;
  if (block.anthropic) settings.anthropic = block.anthropic;
  if (block.mcpServers.length > 0) {
    settings.mcpServers = [...block.mcpServers];
    await Promise.all(block.mcpServers.map((name) => exec.mcp.connect(name)));
  }
  exec.state.threads[block.thread] = thread;
  return DONE;
}

/** Fails with `unsupported_error` for what the thread enables and this server cannot run. */
function checkSupported(run: BlockRun, block: BlockOf<'start-thread'>): void {
  const { host, protocol } = run.exec;
  const problems: string[] = [];
  if (block.skills.length > 0) problems.push(`skills (${block.skills.join(', ')}) need hosted sandboxes, which this server does not provide`);
  const remote = new Set(protocol.mcpServers.filter((server) => server.source === 'remote').map((server) => server.name));
  const fromSdk = block.mcpServers.filter((name) => !remote.has(name));
  if (fromSdk.length > 0) problems.push(`MCP servers (${fromSdk.join(', ')}) get their tools from the caller's SDK (source device or consumer), which this server does not connect to`);
  if (fromSdk.length < block.mcpServers.length && !host.connectMcpServer) problems.push('MCP servers need a host that connects to them, which this host does not');
  if (block.onDemandMcpServers.length > 0) problems.push(`on-demand MCP servers (${block.onDemandMcpServers.join(', ')}) need the platform's project-level connections, which this server does not have`);
  if (block.webSearch && !host.toolHandler?.(BUILT_IN_TOOLS.webSearch)) problems.push(`webSearch needs a \`${BUILT_IN_TOOLS.webSearch}\` handler, which this server does not register`);
  if (block.workers.length > 0 && !host.startWorker) problems.push('workers as tools need nested runs, which this host cannot start');
  if (problems.length > 0) throw new ExecutionFailure('unsupported_error', `Step "${block.name}" cannot run here: ${problems.join('; ')}.`);
}

/** add-message: renders the prompt and appends it, with its files, to the thread. */
export function addMessage(run: BlockRun, block: BlockOf<'add-message'>): BlockOutcome {
  const { exec } = run;
  const thread = exec.thread(block.thread);
  const text = renderPrompt(block.prompt, { prompts: exec.protocol.prompts, input: block.input, lookup: exec.scope.lookup, context: exec.scope.contextNames });
  const files = block.files.flatMap((name) => filesOf(run, name));
  if (block.role === 'system') {
    if (files.length > 0) throw new ExecutionFailure('execution_error', `Step "${block.name}": a system message cannot carry files.`);
    thread.messages.push({ role: 'system', content: text });
  } else if (files.length === 0) {
    thread.messages.push({ role: block.role, content: text });
  } else {
    const content: Array<TextPart | FilePart> = [{ type: 'text', text }, ...files];
    thread.messages.push(block.role === 'user' ? { role: 'user', content } : { role: 'assistant', content });
  }
  return DONE;
}

/** The `file` / `file[]` value of variable `name` as message file parts (URLs stay strings, so the history stays JSON). */
function filesOf(run: BlockRun, name: string): FilePart[] {
  const entry = run.exec.scope.lookup(name);
  if (entry.state !== 'set') return [];
  const values = Array.isArray(entry.value) ? entry.value : [entry.value];
  return values.map((value) => {
    const file = value as Record<string, unknown>;
    if (typeof file?.url !== 'string' || typeof file.mediaType !== 'string') {
      throw new ExecutionFailure('execution_error', `\`${name}\` does not hold a file ({id, mediaType, url}).`);
    }
    return { type: 'file', data: file.url, mediaType: file.mediaType, ...(typeof file.filename === 'string' ? { filename: file.filename } : {}) };
  });
}

/** serialize-thread: the thread's history as markdown or JSON text into `output`. */
export function serializeThreadBlock(run: BlockRun, block: BlockOf<'serialize-thread'>): BlockOutcome {
  const text = serializeThread(run.exec.thread(block.thread).messages, block.format);
  if (block.output !== undefined) run.exec.state.variables[block.output] = text;
  return DONE;
}
