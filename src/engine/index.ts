/**
 * The worker-protocol engine (docs/protocol.md): load a package into a typed protocol with
 * diagnostics, render prompts, execute a worker and stream its events. No GraphQL, no
 * database: the host supplies models, stores events and checkpoints.
 */
export { loadProtocolPackage, loadProtocolPackageOrThrow, parseProtocolSource, MAX_PROMPT_COUNT, MAX_PROMPT_LENGTH, MAX_PROTOCOL_SOURCE_LENGTH } from './parse.js';
export type { LoadResult, ProtocolPackageSource, ProtocolSections } from './parse.js';
export { readProtocolPackage, type ProtocolPackageFiles } from './package-files.js';
export { formatDiagnostic, hasErrors, ProtocolValidationError, type Diagnostic, type DiagnosticSeverity } from './diagnostics.js';
export { executeWorker, initialRunState, blockStartEvent, cancellationEvents, usageCost, EXECUTABLE_BLOCK_KINDS } from './execute.js';
export type * from './execution-types.js';
export { checkToolResults, ToolResultsError, type ToolResultsProblem } from './tool-results.js';
export { DEFAULT_LIMITS } from './limits.js';
export { BUILT_IN_TOOLS } from './built-in-tools.js';
export { noHandlerError } from './tool-calls.js';
export { renderPrompt, formatValue, PromptRenderError, OMITTED_INPUT_TEXT, MAX_RENDERED_PROMPT_CHARS, type RenderOptions, type ScopeEntry } from './render.js';
export { protocolJsonSchema } from './json-schema.js';
export { BLOCK_KINDS, BLOCK_SPECS, defaultBlockDisplay } from './blocks.js';
export * from './events.js';
export type * from './types.js';
export { BUILT_IN_TYPES, THINKING_LEVELS } from './types.js';
