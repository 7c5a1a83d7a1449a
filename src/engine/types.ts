/**
 * The typed model of a protocol package (docs/protocol.md sections 1 and 3–11), built by
 * `loadProtocolPackage` from `protocol.yaml`, `settings.json` and the prompts.
 *
 * Everything is plain data (JSON-serialisable). Ordered things (steps, declarations,
 * type properties, tool parameters) are arrays in YAML order; a name is never the key
 * of a JS object, so integer-like step names keep their written order (section 3).
 * Defaults that the protocol defines for a field are resolved here (a block's `thread`,
 * `optional: false`, …); display defaults are not: `display` is `undefined` unless
 * written, and `defaultBlockDisplay` (blocks.ts) supplies the rest.
 */
import type { DisplayMode } from './events.js';

/** `interactive` or `worker` (section 1, settings.json `format`). */
export type ProtocolFormat = 'interactive' | 'worker';

/** settings.json (section 1). */
export interface ProtocolSettings {
  /** Lowercase letters, digits and dashes. */
  slug: string;
  name: string;
  description?: string;
  format: ProtocolFormat;
}

/** A prompt template: its name is its path under `prompts/` minus `.md` (section 1). */
export interface PromptFile {
  name: string;
  content: string;
}

/** A reference file, `references/<name>.md` with front matter `description` (section 1). */
export interface ReferenceFile {
  name: string;
  description: string;
  content: string;
}

/**
 * A type as written: `string`, `number`, `integer`, `boolean`, `unknown`, `file`, a
 * custom type name, or any of those followed by `[]` (section 4).
 */
export type TypeName = string;

/** The built-in type names (section 4). */
export const BUILT_IN_TYPES = ['string', 'number', 'integer', 'boolean', 'unknown', 'file'] as const;
export type BuiltInType = (typeof BUILT_IN_TYPES)[number];

/** A caller-supplied value (section 4, `input`). */
export interface InputDeclaration {
  name: string;
  type: TypeName;
  description?: string;
  /** The caller may omit it; default false. */
  optional: boolean;
  /** Used when the caller omits the input; `undefined` when none is declared. */
  default?: unknown;
  /** Allowed values; `type: string` only. */
  enum?: string[];
}

/** Internal state written by block outputs (section 4, `variables`). */
export interface VariableDeclaration {
  name: string;
  type: TypeName;
  description?: string;
  /** Initial value; `undefined` when none is declared. */
  default?: unknown;
}

/** Deprecated state shared with the caller (section 4, `resources`). */
export interface ResourceDeclaration {
  name: string;
  type: TypeName;
  description?: string;
  default?: unknown;
  /** The agent may read but not write it. */
  readonly: boolean;
}

/** A property of an object type or a tool parameter (sections 5 and 6). */
export interface PropertySpec {
  name: string;
  /** A type name, or `array` (then `items` is set). */
  type: TypeName;
  description?: string;
  optional: boolean;
  enum?: string[];
  /** A fixed literal, used as a union discriminator. */
  const?: string | number | boolean;
  /** Element type when `type` is `array`. */
  items?: { type: TypeName };
}

/** A custom type (section 5). */
export type TypeDefinition =
  | { kind: 'object'; name: string; properties: PropertySpec[] }
  | { kind: 'array'; name: string; description?: string; items: { type: TypeName } }
  | { kind: 'union'; name: string; anyOf: TypeName[]; discriminator: string };

/** An external tool (section 6). */
export interface ToolDeclaration {
  /** lowercase-with-dashes; never `octavus_…`. */
  name: string;
  /** Sent to the LLM. */
  description: string;
  /** Undefined when not written; tools default to `description`. */
  display?: DisplayMode;
  /** Label for `display: title`. */
  title?: string;
  /** Arguments are always an object of these (section 6). */
  parameters: PropertySpec[];
}

/**
 * A platform capability declared by name (`skills`, `onDemandMcpServers`): the engine
 * checks that threads name declared ones and passes the configuration through untouched.
 */
export interface CapabilityDeclaration {
  name: string;
  config: unknown;
}

/**
 * Where an MCP server's tools come from (the upstream docs' `source`): `remote` (an
 * HTTP endpoint, connected by this server), `device` (a machine running the caller's
 * SDK) or `consumer` (inline servers in the caller's SDK process). Only `remote` runs here.
 */
export const MCP_SERVER_SOURCES = ['remote', 'device', 'consumer'] as const;
export type McpServerSource = (typeof MCP_SERVER_SOURCES)[number];

/**
 * How a remote MCP server is reached: `http` is the Streamable HTTP transport (the
 * default), `sse` the older HTTP+SSE transport. The AI SDK's MCP client has no automatic
 * fallback from one to the other, so a server that only speaks SSE says so.
 */
export const MCP_TRANSPORTS = ['http', 'sse'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** Fields every `mcpServers:` entry has (parse-declarations.ts documents the format). */
interface McpServerBase {
  /** The key: lowercase-with-dashes, the namespace of the server's tools (`<name>__<tool>`). */
  name: string;
  description?: string;
  /** Display of every tool of the server; undefined when not written (tools default to `description`). */
  display?: DisplayMode;
  /** Label for `display: title`. */
  title?: string;
}

/** A remote MCP server: an HTTP endpoint this server connects to through the host. */
export interface RemoteMcpServerDeclaration extends McpServerBase {
  source: 'remote';
  /** Absolute http(s) URL of the MCP endpoint. */
  url: string;
  /** Sent with every request (e.g. `Authorization`); empty when none are written. */
  headers: Record<string, string>;
  /** Default `http` (Streamable HTTP). */
  transport: McpTransport;
  /** Upstream `eager` (default here) or `lazy`; validation warns that `lazy` behaves as `eager`. */
  connection?: 'eager' | 'lazy';
}

/** An MCP server whose tools the caller's SDK supplies (validation warns; a run fails). */
export interface SdkMcpServerDeclaration extends McpServerBase {
  source: 'device' | 'consumer';
}

/** An entry of the top-level `mcpServers:` section. */
export type McpServerDeclaration = RemoteMcpServerDeclaration | SdkMcpServerDeclaration;

/** A worker this protocol may call (section 11), keyed by its slug. */
export interface WorkerDeclaration {
  slug: string;
  description?: string;
  display?: DisplayMode;
  title?: string;
  /** Worker tool name → this protocol's tool name. */
  tools: Array<{ workerTool: string; parentTool: string }>;
}

/**
 * One entry of an `input` mapping (section 8): `label` is the name the prompt or
 * callee sees, `source` the input, variable or resource that supplies it. The three
 * written forms (`[A]`, `[A: B]`, `{A: B}`) all become a list of these.
 */
export interface InputMappingEntry {
  label: string;
  source: string;
}

/**
 * A field that may name an input/variable/resource or hold a literal (section 9): a
 * string naming a declaration is a reference, anything else a literal.
 */
export type ValueSource<T> = { kind: 'literal'; value: T } | { kind: 'reference'; name: string };

/** `thinking` levels (section 7, start-thread). */
export type ThinkingLevel = 'low' | 'medium' | 'high' | 'max' | 'off';
export const THINKING_LEVELS = ['low', 'medium', 'high', 'max', 'off'] as const satisfies readonly ThinkingLevel[];

/** Fields every block has (section 7). */
export interface BlockBase {
  /** The step name: the key under `steps`. */
  name: string;
  /** Position in `steps`, 0-based. */
  index: number;
  /** Undefined when not written; see `defaultBlockDisplay`. */
  display?: DisplayMode;
  /** UI text. */
  description?: string;
  /** Label for `display: title`. */
  title?: string;
}

/** Creates a thread and its LLM settings (section 7, start-thread). */
export interface StartThreadBlock extends BlockBase {
  kind: 'start-thread';
  /** Defaults to the block name. */
  thread: string;
  /** `provider/model-id` or a reference; absent: the worker's model fills it (see `threadModel`). */
  model?: ValueSource<string>;
  backupModel?: ValueSource<string>;
  /** Prompt name of the system prompt. */
  system: string;
  input: InputMappingEntry[];
  tools: string[];
  skills: string[];
  mcpServers: string[];
  references: string[];
  onDemandMcpServers: string[];
  /** Workers offered as tools (seed revision of the docs). */
  workers: string[];
  imageModel?: ValueSource<string>;
  webSearch?: boolean;
  todoList?: boolean;
  thinking?: ValueSource<ThinkingLevel>;
  /** 0–2 or `off`. */
  temperature?: ValueSource<number | 'off'>;
  /** Positive integer; undefined means 1 (OPEN, see thread-blocks.ts). */
  maxSteps?: ValueSource<number>;
  cache?: 'auto' | 'extended' | 'off';
  speed?: ValueSource<'fast' | 'standard'>;
  /** Milliseconds, at most 3,600,000. */
  sandboxTimeout?: number;
  maxOutputTokens?: number;
  maxToolOutputTokens?: number;
  maxImageDimension?: number;
  loopGuard?: boolean;
  /** Anthropic-specific provider options; only legal on an Anthropic model. */
  anthropic?: Record<string, unknown>;
}

/** Appends a rendered prompt to a thread (section 7, add-message). */
export interface AddMessageBlock extends BlockBase {
  kind: 'add-message';
  /** Defaults to `main`. */
  thread: string;
  role: 'user' | 'assistant' | 'system';
  /** Prompt name. */
  prompt: string;
  input: InputMappingEntry[];
  /** Variables holding `file` / `file[]` values attached to the message. */
  files: string[];
  /** `false`: the LLM sees the message, the UI does not. Default true. */
  visible: boolean;
  /** Variable shown in the UI instead of the prompt text. */
  uiContent?: string;
}

/** Asks the thread's model for the next assistant message (section 7, next-message). */
export interface NextMessageBlock extends BlockBase {
  kind: 'next-message';
  thread: string;
  /** Variable receiving the reply text, or the parsed object with `responseType`. */
  output?: string;
  /** Object type name the reply must match (section 5). */
  responseType?: string;
  /**
   * A value holding the JSON Schema the reply must match, named by a dot path
   * (`TASK.responseSchema`: `name` TASK, `path` ['responseSchema']); when it holds no value
   * the reply is text (section 5, "A response schema from a value").
   */
  responseSchema?: { name: string; path: string[] };
  /** `true`: the reply does not join the thread's history. Default false. */
  independent: boolean;
}

/** Calls a tool deterministically (section 7, tool-call). */
export interface ToolCallBlock extends BlockBase {
  kind: 'tool-call';
  tool: string;
  /** Parameter name → reference or literal. */
  input: Array<{ parameter: string; value: ValueSource<unknown> }>;
  output?: string;
  thread?: string;
}

/** Turns a thread into a value (section 7, serialize-thread). */
export interface SerializeThreadBlock extends BlockBase {
  kind: 'serialize-thread';
  thread: string;
  /** Default `markdown` (OPEN, as suggested). */
  format: 'markdown' | 'json';
  output?: string;
}

/** Writes a resource (section 7, set-resource; deprecated). */
export interface SetResourceBlock extends BlockBase {
  kind: 'set-resource';
  resource: string;
  /** Variable name whose value is written. */
  value: string;
}

/** Generates an image (section 7, generate-image). */
export interface GenerateImageBlock extends BlockBase {
  kind: 'generate-image';
  /** Variable holding the prompt. */
  prompt: string;
  imageModel: ValueSource<string>;
  aspectRatio?: string;
  resolution?: '1K' | '2K' | '4K';
  /** Deprecated alias of `aspectRatio`. */
  size?: '1024x1024' | '1792x1024' | '1024x1792';
  /** Variables holding image URLs (edit mode). */
  referenceImages: string[];
  output?: string;
  thread?: string;
}

/** Speaks a text (section 7, generate-speech). */
export interface GenerateSpeechBlock extends BlockBase {
  kind: 'generate-speech';
  /** Variable holding the text. */
  text: string;
  speechModel: ValueSource<string>;
  voice?: string;
  format?: 'mp3' | 'opus' | 'aac' | 'flac' | 'wav';
  instructions?: string;
  language?: string;
  /** 0.25–4.0. */
  speed?: number;
  output?: string;
  thread?: string;
}

/** Transcribes audio (section 7, transcribe-audio). */
export interface TranscribeAudioBlock extends BlockBase {
  kind: 'transcribe-audio';
  /** Variable holding a file or URL. */
  audio: string;
  transcriptionModel: ValueSource<string>;
  language?: string;
  timestamps?: boolean;
  output?: string;
  thread?: string;
}

/** Runs a declared worker to completion (section 11, run-worker). */
export interface RunWorkerBlock extends BlockBase {
  kind: 'run-worker';
  /** Declared worker slug. */
  worker: string;
  /** Worker input name (label) ← this protocol's variable (source). */
  input: InputMappingEntry[];
  output?: string;
}

/** Every block a worker's `steps` may hold, discriminated by `kind` (the `block` field). */
export type Block =
  | StartThreadBlock
  | AddMessageBlock
  | NextMessageBlock
  | ToolCallBlock
  | SerializeThreadBlock
  | SetResourceBlock
  | GenerateImageBlock
  | GenerateSpeechBlock
  | TranscribeAudioBlock
  | RunWorkerBlock;

/** A block kind, e.g. `next-message`. */
export type BlockKind = Block['kind'];

/** The block whose kind is `K`. */
export type BlockOf<K extends BlockKind> = Extract<Block, { kind: K }>;

/** A loaded, valid worker protocol package. */
export interface Protocol {
  settings: ProtocolSettings;
  input: InputDeclaration[];
  variables: VariableDeclaration[];
  resources: ResourceDeclaration[];
  types: TypeDefinition[];
  tools: ToolDeclaration[];
  skills: CapabilityDeclaration[];
  mcpServers: McpServerDeclaration[];
  onDemandMcpServers: CapabilityDeclaration[];
  workers: WorkerDeclaration[];
  /** In written order. */
  steps: Block[];
  /** The variable returned as `worker-result.output` (section 10). */
  output?: string;
  prompts: PromptFile[];
  references: ReferenceFile[];
}
