/**
 * The block kinds of a worker's `steps` and the fields each accepts (docs/protocol.md
 * sections 7 and 11): one table that the parser (known and required fields), the JSON
 * Schema (`json-schema.ts`) and the executor (default display) all read.
 */
import { DISPLAY_MODES, type DisplayMode } from './events.js';
import { MODEL_ID, UPPER_SNAKE_CASE } from './naming.js';
import type { BlockKind } from './types.js';

/** A JSON Schema fragment (draft 2020-12). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** One field of a block. */
export interface FieldSpec {
  /** Missing required fields are validation errors (section 15). */
  required?: boolean;
  description: string;
  schema: JsonSchema;
}

/** One block kind. */
export interface BlockSpec {
  description: string;
  /**
   * `display` when not written (section 7). OPEN for start-thread (`hidden`),
   * serialize-thread (`name`) and the rest (`description`), as section 7 suggests.
   */
  defaultDisplay: DisplayMode;
  /**
   * Whether the block calls out (a model, a tool, an image model, a nested worker): such
   * a block is checkpointed as it starts (with its `block-start` and attempt number),
   * so that an interruption is noticed and the block retried once (issue 3, "Durable
   * execution").
   */
  callsOut: boolean;
  fields: Readonly<Record<string, FieldSpec>>;
}

/** A name of an input, variable or resource. */
export const declaredNameSchema: JsonSchema = { type: 'string', pattern: UPPER_SNAKE_CASE.source };

/** The three forms of an `input` mapping (section 8). */
export const inputMappingSchema: JsonSchema = {
  description: 'Label (seen by the prompt or callee) → input, variable or resource. `[A, B]`, `[A: B]` or `{A: B}`.',
  oneOf: [
    {
      type: 'array',
      items: {
        oneOf: [
          declaredNameSchema,
          { type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: declaredNameSchema },
        ],
      },
    },
    { type: 'object', additionalProperties: declaredNameSchema },
  ],
};

const nameList = (description: string): JsonSchema => ({ description, type: 'array', items: { type: 'string' } });

/** A field that holds a literal or names an input/variable/resource (section 9). */
const dynamic = (literal: JsonSchema): JsonSchema => ({ anyOf: [literal, declaredNameSchema] });

const modelIdSchema: JsonSchema = { type: 'string', pattern: MODEL_ID.source };

const displaySchema: JsonSchema = {
  description: 'How much of the block reaches the client.',
  enum: [...DISPLAY_MODES],
};

/** Fields every block has (section 7). */
export const COMMON_BLOCK_FIELDS: Readonly<Record<string, FieldSpec>> = {
  block: { required: true, description: 'The block kind.', schema: { type: 'string' } },
  display: { description: 'hidden | name | description | stream | title; the default depends on the kind.', schema: displaySchema },
  description: { description: 'UI text shown while the block runs.', schema: { type: 'string' } },
  title: { description: 'Label used when `display: title`.', schema: { type: 'string' } },
};

const thread = (description: string): FieldSpec => ({ description, schema: { type: 'string' } });
const variable = (description: string, required = false): FieldSpec => ({ required, description, schema: declaredNameSchema });

/** Every block kind with its fields; keys are the `block` values. */
export const BLOCK_SPECS: { readonly [K in BlockKind]: BlockSpec } = {
  'start-thread': {
    description: 'Create a thread and its LLM settings.',
    defaultDisplay: 'hidden',
    callsOut: false,
    fields: {
      thread: thread('Thread name; defaults to the block name.'),
      model: { description: "`provider/model-id` or a variable holding one; omitted: the worker's model (WORKER.model).", schema: dynamic(modelIdSchema) },
      backupModel: { description: 'Model tried once on a transient provider error before anything streamed.', schema: dynamic(modelIdSchema) },
      system: { required: true, description: 'Prompt name of the system prompt.', schema: { type: 'string' } },
      input: { description: 'Mapping for the system prompt.', schema: inputMappingSchema },
      tools: { description: 'Tools offered to the LLM in this thread.', schema: nameList('Names from `tools:`.') },
      skills: { description: 'Skills enabled in this thread.', schema: nameList('Names from `skills:`.') },
      mcpServers: { description: 'MCP servers enabled in this thread.', schema: nameList('Names from `mcpServers:`.') },
      references: { description: 'Reference files readable in this thread.', schema: nameList('Names of files in `references/`.') },
      onDemandMcpServers: { description: 'Sources whose connected MCP servers this thread may use.', schema: nameList('Source names, e.g. `remote`.') },
      workers: { description: 'Workers offered to the LLM as tools in this thread.', schema: nameList('Slugs from `workers:`.') },
      imageModel: { description: 'Enables the image tool with this model.', schema: dynamic(modelIdSchema) },
      webSearch: { description: 'Enables the built-in web search tool.', schema: { type: 'boolean' } },
      todoList: { description: 'Enables the built-in todo list tool.', schema: { type: 'boolean' } },
      thinking: { description: 'Reasoning effort.', schema: dynamic({ enum: ['low', 'medium', 'high', 'max', 'off'] }) },
      temperature: { description: '0–2, or "off".', schema: dynamic({ anyOf: [{ type: 'number', minimum: 0, maximum: 2 }, { const: 'off' }] }) },
      maxSteps: { description: 'Tool-loop steps per next-message; more than 1 makes the thread agentic. Default 1.', schema: dynamic({ type: 'integer', minimum: 1 }) },
      cache: { description: 'Prompt caching.', schema: { enum: ['auto', 'extended', 'off'] } },
      speed: { description: 'fast | standard (default).', schema: dynamic({ enum: ['fast', 'standard'] }) },
      sandboxTimeout: { description: 'Milliseconds for skill sandboxes; at most one hour.', schema: { type: 'integer', minimum: 1, maximum: 3_600_000 } },
      maxOutputTokens: { description: 'Cap on the tokens of one generation.', schema: { type: 'integer', minimum: 1 } },
      maxToolOutputTokens: { description: 'Tool results above this are previewed to the model.', schema: { type: 'integer', minimum: 1 } },
      maxImageDimension: { description: 'Larger images are downscaled in the model’s view.', schema: { type: 'integer', minimum: 1 } },
      loopGuard: { description: 'Abort a generation stuck repeating a short string.', schema: { type: 'boolean' } },
      anthropic: { description: 'Anthropic-specific options; only on an Anthropic model.', schema: { type: 'object' } },
    },
  },
  'add-message': {
    description: 'Append a rendered prompt to a thread.',
    defaultDisplay: 'hidden',
    callsOut: false,
    fields: {
      thread: thread('Thread name; default `main`.'),
      role: { required: true, description: 'user | assistant | system.', schema: { enum: ['user', 'assistant', 'system'] } },
      prompt: { required: true, description: 'Prompt name.', schema: { type: 'string' } },
      input: { description: 'Mapping for the prompt.', schema: inputMappingSchema },
      files: { description: 'Variables holding `file` or `file[]` values to attach.', schema: { type: 'array', items: declaredNameSchema } },
      visible: { description: '`false`: the LLM sees the message, the UI does not.', schema: { type: 'boolean' } },
      uiContent: variable('Variable shown in the UI instead of the prompt text.'),
    },
  },
  'next-message': {
    description: 'Ask the thread’s model for the next assistant message.',
    defaultDisplay: 'stream',
    callsOut: true,
    fields: {
      thread: thread('Thread name; default `main`.'),
      output: variable('Variable receiving the reply (text, or the object with responseType).'),
      responseType: { description: 'Object type the reply must match.', schema: { type: 'string' } },
      responseSchema: {
        description: 'A value holding the JSON Schema the reply must match, by name and dot path (`TASK.responseSchema`); no value: the reply is text. Not with responseType.',
        schema: { type: 'string' },
      },
      independent: { description: '`true`: the reply does not join the thread history.', schema: { type: 'boolean' } },
    },
  },
  'tool-call': {
    description: 'Call a tool deterministically.',
    defaultDisplay: 'description',
    callsOut: true,
    fields: {
      tool: { required: true, description: 'A declared tool.', schema: { type: 'string' } },
      input: { description: 'Parameter name → variable name or literal.', schema: { type: 'object' } },
      output: variable('Variable receiving the result.'),
      thread: thread('Thread the call belongs to.'),
    },
  },
  'serialize-thread': {
    description: 'Turn a thread into text.',
    defaultDisplay: 'name',
    callsOut: false,
    fields: {
      thread: thread('Thread name; default `main`.'),
      format: { description: 'markdown (default) | json.', schema: { enum: ['markdown', 'json'] } },
      output: variable('Variable receiving the text.'),
    },
  },
  'set-resource': {
    description: 'Write a resource (deprecated).',
    defaultDisplay: 'name',
    callsOut: false,
    fields: {
      resource: { required: true, description: 'A declared, writable resource.', schema: declaredNameSchema },
      value: variable('Variable whose value is written.', true),
    },
  },
  'generate-image': {
    description: 'Generate an image from a prompt variable.',
    defaultDisplay: 'description',
    callsOut: true,
    fields: {
      prompt: variable('Variable holding the prompt.', true),
      imageModel: { required: true, description: 'Image model id or a variable holding one.', schema: dynamic(modelIdSchema) },
      aspectRatio: { description: 'Default `1:1`.', schema: { type: 'string', pattern: '^\\d+:\\d+$' } },
      resolution: { description: '1K | 2K | 4K.', schema: { enum: ['1K', '2K', '4K'] } },
      size: { description: 'Deprecated alias of aspectRatio.', schema: { enum: ['1024x1024', '1792x1024', '1024x1792'] } },
      referenceImages: { description: 'Variables holding image URLs (edit mode).', schema: { type: 'array', items: declaredNameSchema } },
      output: variable('Variable receiving the image URL.'),
      thread: thread('Thread the image belongs to.'),
    },
  },
  'generate-speech': {
    description: 'Speak a text.',
    defaultDisplay: 'description',
    callsOut: true,
    fields: {
      text: variable('Variable holding the text.', true),
      speechModel: { required: true, description: 'Speech model id or a variable holding one.', schema: dynamic(modelIdSchema) },
      voice: { description: 'Voice name.', schema: { type: 'string' } },
      format: { description: 'mp3 (default) | opus | aac | flac | wav.', schema: { enum: ['mp3', 'opus', 'aac', 'flac', 'wav'] } },
      instructions: { description: 'Speaking instructions.', schema: { type: 'string' } },
      language: { description: 'Language code.', schema: { type: 'string' } },
      speed: { description: '0.25–4.0.', schema: { type: 'number', minimum: 0.25, maximum: 4 } },
      output: variable('Variable receiving the audio URL.'),
      thread: thread('Thread the audio belongs to.'),
    },
  },
  'transcribe-audio': {
    description: 'Transcribe audio.',
    defaultDisplay: 'description',
    callsOut: true,
    fields: {
      audio: variable('Variable holding a file or URL.', true),
      transcriptionModel: { required: true, description: 'Transcription model id or a variable holding one.', schema: dynamic(modelIdSchema) },
      language: { description: 'Language code.', schema: { type: 'string' } },
      timestamps: { description: 'Include timestamps.', schema: { type: 'boolean' } },
      output: variable('Variable receiving the transcript.'),
      thread: thread('Thread the transcript belongs to.'),
    },
  },
  'run-worker': {
    description: 'Run a declared worker to completion.',
    defaultDisplay: 'description',
    callsOut: true,
    fields: {
      worker: { required: true, description: 'A slug from `workers:`.', schema: { type: 'string' } },
      input: { description: 'Worker input name → variable.', schema: inputMappingSchema },
      output: variable('Variable receiving the worker’s output.'),
    },
  },
};

/** Every block kind, in table order. */
export const BLOCK_KINDS = Object.keys(BLOCK_SPECS) as BlockKind[];

/** Whether `kind` names a block kind. */
export function isBlockKind(kind: string): kind is BlockKind {
  return Object.hasOwn(BLOCK_SPECS, kind);
}

/** The `display` of a block that does not write one (section 7). */
export function defaultBlockDisplay(kind: BlockKind): DisplayMode {
  return BLOCK_SPECS[kind].defaultDisplay;
}

/** Every field name a block of `kind` accepts, common fields first. */
export function blockFieldNames(kind: BlockKind): string[] {
  return [...Object.keys(COMMON_BLOCK_FIELDS), ...Object.keys(BLOCK_SPECS[kind].fields)];
}
