/**
 * The tools a thread offers its model (docs/protocol.md sections 6 and 11), each bound to how
 * a call of it runs: declared tools (the host's handler, or the client), built-in tools
 * (run by the engine, or the host for web search), workers offered as tools, and the
 * tools of the thread's remote MCP servers.
 *
 * Every binding has one JSON Schema, given to the model through the AI SDK's
 * `jsonSchema()`, and a validator compiled from it that checks each call's arguments
 * before anything runs (section 6).
 */
import { jsonSchema, tool, type JSONSchema7, type ToolSet } from 'ai';
import type { DisplayMode } from './events.js';
import type { ToolHandler } from './execution-types.js';
import { objectJsonSchema, schemaValidator, type SchemaValidator } from './type-schemas.js';
import type { ToolDeclaration, TypeDefinition, WorkerDeclaration } from './types.js';

/** Who runs a call of a tool. */
export type ToolRunner =
  /** The host's `toolHandler`, or the client when it has none (declared tools, `octavus_web_search`). */
  | { kind: 'host' }
  /** The engine itself (built-in tools). */
  | { kind: 'engine'; handler: ToolHandler }
  /** A nested worker, run to completion; its output is the result (section 11). */
  | { kind: 'worker'; worker: WorkerDeclaration }
  /** Tool `tool` of the remote MCP server `server`, through this leg's connection (mcp-servers.ts). */
  | { kind: 'mcp'; server: string; tool: string };

/** A tool as offered to a model, with how its calls run. */
export interface ToolBinding {
  /** The name the model calls. */
  name: string;
  /** Sent to the model. */
  description: string;
  /** The arguments' schema (always an object). */
  schema: JSONSchema7;
  /** Checks arguments against `schema`. */
  validate: SchemaValidator;
  /** How its events reach clients; tools default to `description`, workers to `stream`. */
  display: DisplayMode;
  /** Label for `display: title`. */
  title?: string;
  runner: ToolRunner;
}

/** A binding with its validator compiled from `schema`. */
export function toolBinding(spec: Omit<ToolBinding, 'validate'>): ToolBinding {
  return { ...spec, validate: schemaValidator(spec.schema) };
}

/** A tool of the protocol's `tools:` section (section 6; display default `description`). */
export function declaredToolBinding(declaration: ToolDeclaration, types: readonly TypeDefinition[]): ToolBinding {
  return toolBinding({
    name: declaration.name,
    description: declaration.description,
    schema: objectJsonSchema(declaration.parameters, types),
    display: declaration.display ?? 'description',
    ...(declaration.title !== undefined ? { title: declaration.title } : {}),
    runner: { kind: 'host' },
  });
}

/**
 * The AI SDK tool set for a model call. No tool has `execute`: the engine runs the calls
 * itself, after the step, so that it can validate them, pause for client tools and
 * checkpoint between steps.
 */
export function modelToolSet(bindings: Iterable<ToolBinding>): ToolSet {
  const tools: ToolSet = {};
  for (const binding of bindings) tools[binding.name] = tool({ description: binding.description, inputSchema: jsonSchema(binding.schema) });
  return tools;
}
