/**
 * What this server runs (docs/protocol.md section 15 warnings, issue 3): platform features it
 * does not provide are warned about at validation, and the run fails clearly
 * (`unsupported_error`) when it reaches them, rather than skipping them silently.
 * Remote MCP servers run (mcp-servers.ts); `device` and `consumer` ones, on-demand
 * MCP servers and skills do not.
 * Also the one error of a thread's tool set: two tools a model would call by one name.
 */
import { BUILT_IN_TOOLS } from './built-in-tools.js';
import type { BlockOf } from './types.js';
import type { ValidationContext } from './validation-context.js';

/** Runs the checks on the MCP server declarations and every block. */
export function validateSupport(ctx: ValidationContext): void {
  for (const server of ctx.protocol.mcpServers) {
    if (server.source === 'remote' && server.connection === 'lazy') {
      ctx.warning(
        ['mcpServers', server.name, 'connection'],
        '`connection: lazy` (the model activating integrations through tools) is not supported: this server connects when the thread starts, as with `eager`.',
      );
    }
  }
  for (const block of ctx.protocol.steps) {
    const path = ['steps', block.name];
    switch (block.kind) {
      case 'start-thread':
        checkThread(ctx, block, path);
        break;
      case 'generate-speech':
      case 'transcribe-audio':
        ctx.warning([...path, 'block'], `\`${block.kind}\` is not supported by this server: a run with this step fails before its first step (unsupported_error).`);
        break;
      case 'generate-image': {
        const model = block.imageModel.kind === 'literal' ? block.imageModel.value : undefined;
        if (block.resolution !== undefined && model !== undefined && !model.startsWith('google/')) {
          ctx.warning([...path, 'resolution'], `\`resolution\` applies to Gemini 3 image models only; \`${model}\` ignores it.`);
        }
        break;
      }
      default:
        break;
    }
  }
}

function checkThread(ctx: ValidationContext, block: BlockOf<'start-thread'>, path: string[]): void {
  const at = (field: string): string[] => [...path, field];
  const fails = 'a run reaching this step fails (unsupported_error)';
  if (block.skills.length > 0) ctx.warning(at('skills'), `Skills run in hosted sandboxes, which this server does not provide: ${fails}.`);
  if (block.sandboxTimeout !== undefined) ctx.warning(at('sandboxTimeout'), '`sandboxTimeout` has no effect: this server runs no skill sandboxes.');
  block.mcpServers.forEach((name, index) => {
    const server = ctx.protocol.mcpServers.find((candidate) => candidate.name === name);
    if (server && server.source !== 'remote') {
      ctx.warning(
        [...at('mcpServers'), String(index)],
        `MCP server \`${name}\` has \`source: ${server.source}\`: its tools come from the caller's SDK, which this server does not connect to (only \`source: remote\` runs here): ${fails}.`,
      );
    }
  });
  if (block.onDemandMcpServers.length > 0) {
    ctx.warning(at('onDemandMcpServers'), `On-demand MCP servers are the platform's project-level connections, which this server does not have (declare the servers under \`mcpServers:\`): ${fails}.`);
  }
  if (block.webSearch) {
    ctx.warning(at('webSearch'), `Web search runs only when the server registers a \`${BUILT_IN_TOOLS.webSearch}\` handler; without one, ${fails}.`);
  }
  if (block.loopGuard !== undefined) ctx.warning(at('loopGuard'), '`loopGuard` is not enforced by this server; `maxOutputTokens` bounds a generation.');
  if (block.cache !== undefined && block.cache !== 'auto') ctx.warning(at('cache'), `\`cache: ${block.cache}\` has no effect: this server leaves prompt caching to each provider's default.`);
  if (block.maxImageDimension !== undefined) ctx.warning(at('maxImageDimension'), '`maxImageDimension` is not enforced by this server: images reach the model at their own size.');

  const seen = new Map<string, string>();
  const offer = (name: string, what: string, field: string): void => {
    const earlier = seen.get(name);
    if (earlier) ctx.error(at(field), `The model of thread \`${block.thread}\` would see two tools named \`${name}\`: ${earlier} and ${what}.`);
    seen.set(name, what);
  };
  for (const tool of block.tools) offer(tool, `tool \`${tool}\``, 'tools');
  for (const worker of block.workers) offer(worker, `worker \`${worker}\``, 'workers');
}
