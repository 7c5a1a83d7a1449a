/**
 * Naming conventions of docs/protocol.md section 1, shared by the parser, the validator and
 * the JSON Schema.
 */

/** Slugs, tool names, trigger and reference names: `lowercase-with-dashes`. */
export const KEBAB_CASE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Prompt names: kebab-case segments separated by `/` (`shared/rules`). */
export const PROMPT_NAME = /^[a-z0-9]+(-[a-z0-9]+)*(\/[a-z0-9]+(-[a-z0-9]+)*)*$/;

/** Input, variable and resource names: `UPPER_SNAKE_CASE`. */
export const UPPER_SNAKE_CASE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** Type names: `PascalCase`. */
export const PASCAL_CASE = /^[A-Z][a-zA-Z0-9]*$/;

/** Property names: `camelCase`. */
export const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/** Tool and worker names must not start with it: it marks built-in tools (section 1). */
export const RESERVED_TOOL_PREFIX = 'octavus_';

/** `provider/model-id` (section 9); the model id may itself contain `/`. */
export const MODEL_ID = /^[^/\s]+\/\S+$/;

/**
 * Joins an MCP server's name and one of its tools' names into the name the model calls
 * (`docs__search`), as upstream does. Declared tools, workers and MCP server names are
 * lowercase-with-dashes and built-in tools use single underscores, so a namespaced MCP
 * tool never takes the name of any of them.
 */
export const MCP_TOOL_SEPARATOR = '__';
