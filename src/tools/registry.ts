/**
 * Server-side tool handlers. For each tool call the engine asks the host for a handler:
 * a built-in tool registered in code, else an HTTP tool bound in the protocol's
 * settings, else none — and a call without a handler is a client tool (the run pauses
 * until `submitToolResult` answers it; docs/protocol.md section 12).
 */
import type { OutboundPolicy } from '../net/outbound.js';
import type { ToolHandler } from '../engine/execute.js';
import { callHttpTool, type HttpToolBinding } from './http-tool.js';

/** Handlers registered in code, by tool name; a protocol uses one by declaring a tool of that name. */
export type BuiltinTools = ReadonlyMap<string, ToolHandler>;

/** The tools every server has. */
export function defaultBuiltinTools(now: () => Date = () => new Date()): BuiltinTools {
  return new Map<string, ToolHandler>([
    [
      'current-time',
      async (args) => {
        const timeZone = typeof args.timezone === 'string' ? args.timezone : 'UTC';
        const at = now();
        let local: string;
        try {
          local = at.toLocaleString('sv-SE', { timeZone }).replace(' ', 'T');
        } catch {
          throw new Error(`Unknown time zone "${timeZone}"`);
        }
        return { iso: at.toISOString(), timezone: timeZone, local };
      },
    ],
  ]);
}

/**
 * The handler lookup for one run: built-ins first, then the protocol's HTTP bindings
 * (called through `outbound`).
 * @returns undefined for a client tool
 */
export function toolHandlerLookup(
  builtins: BuiltinTools,
  httpTools: Readonly<Record<string, HttpToolBinding>>,
  outbound: OutboundPolicy,
): (toolName: string) => ToolHandler | undefined {
  return (toolName) => {
    const builtin = builtins.get(toolName);
    if (builtin) return builtin;
    const binding = httpTools[toolName];
    if (binding) return (args, context) => callHttpTool(toolName, binding, args, context.signal, outbound);
    return undefined;
  };
}
