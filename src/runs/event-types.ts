/**
 * GraphQL types of run events: the `RunEvent` interface and one
 * object type per protocol stream event, named PascalCase(type) + `Event`
 * (`text-delta` → `TextDeltaEvent`), with that event's fields typed. The field table
 * below follows src/engine/events.ts; its keys are checked against the engine's event
 * types, so a new event cannot be left out.
 */
import type { ObjectRef } from '@pothos/core';

import { builder } from '../graphql/builder.js';
import {
  STREAM_EVENT_TYPES,
  type PendingToolCall,
  type ResolvedModelInfo,
  type StreamEventType,
  type TokenUsage,
} from '../engine/events.js';
import type { StoredRunEvent } from './service.js';

export const RunEventRef = builder.interfaceRef<StoredRunEvent>('RunEvent').implement({
  description: 'One event of a run’s stream, numbered gap-free from 1.',
  resolveType: (event) => TYPE_NAMES.get(event.type) ?? eventTypeName(event.type),
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Position in the run’s stream: 1, 2, 3 … with no gaps.' }),
    type: t.exposeString('type', { description: 'The protocol’s event name, e.g. `text-delta`.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When the engine emitted it.' }),
    workerId: t.id({
      nullable: true,
      description: 'Set when the event comes from a nested worker (or is a worker-* event).',
      resolve: (event) => ('workerId' in event ? (event.workerId ?? null) : null),
    }),
  }),
});

export const PendingToolCallRef = builder.objectRef<PendingToolCall>('PendingToolCall').implement({
  description: 'A tool call someone outside the engine must answer.',
  fields: (t) => ({
    toolCallId: t.exposeString('toolCallId', { description: 'Id to answer with `submitToolResult`.' }),
    toolName: t.exposeString('toolName', { description: 'Declared tool name.' }),
    args: t.expose('args', { type: 'JSON', description: 'Arguments object.' }),
    source: t.exposeString('source', { description: '`llm` (the model asked) or `block` (a tool-call block).' }),
    thread: t.exposeString('thread', { nullable: true, description: 'Thread the call came from.' }),
    outputVariable: t.exposeString('outputVariable', { nullable: true, description: 'Block calls: variable receiving the result.' }),
    blockIndex: t.exposeInt('blockIndex', { nullable: true, description: 'Block calls: block to resume after.' }),
  }),
});

const TokenUsageRef = builder.objectRef<TokenUsage>('TokenUsage').implement({
  description: 'Token counts.',
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens.' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens.' }),
    totalTokens: t.exposeInt('totalTokens', { description: 'Sum.' }),
  }),
});

const ResolvedModelRef = builder.objectRef<ResolvedModelInfo>('ResolvedModel').implement({
  description: 'For a model id a protocol names, the model that really answers.',
  fields: (t) => ({
    requested: t.exposeString('requested', { description: 'Id as written in the protocol.' }),
    provider: t.exposeString('provider', { description: 'Provider that answers, e.g. `openai` or `offline`.' }),
    modelId: t.exposeString('modelId', { description: 'Model id sent to that provider.' }),
    offline: t.exposeBoolean('offline', { description: 'True for the built-in deterministic offline model.' }),
  }),
});

type Scalar = 'String' | 'Int' | 'Float' | 'Boolean' | 'JSON';
type FieldType = Scalar | [Scalar] | ObjectRef<never, unknown> | [ObjectRef<never, unknown>];
/** An event field: its GraphQL type, whether it is non-null, and a description. */
type FieldSpec = [type: FieldType, required: boolean, description: string];

/**
 * Every event field, by name. One spec per name, so that a field has the same type and
 * nullability on every event type that carries it: clients select `... on A { output }
 * ... on B { output }` side by side, which GraphQL only allows when the shapes agree.
 * A field is non-null only when every event carrying it always has it.
 */
const FIELDS = {
  // start / finish / error
  executionId: ['String', false, 'Execution id (the run).'],
  messageId: ['String', false, 'Message id.'],
  finishReason: ['String', true, '`stop`, `tool-calls`, `client-tool-calls`, `length`, `content-filter`, `error` or `other`.'],
  errorType: ['String', true, 'The error type, e.g. `provider_error`.'],
  message: ['String', true, 'What went wrong.'],
  retryable: ['Boolean', true, 'Whether retrying may succeed.'],
  source: ['String', true, '`platform`, `provider`, `tool` or `client`.'],
  retryAfter: ['Int', false, 'Seconds to wait before retrying.'],
  code: ['String', false, 'Machine-readable code, e.g. `OPENAI_429`.'],
  provider: ['JSON', false, 'Provider details {name model statusCode errorType requestId}.'],
  tool: ['JSON', false, 'Tool details {name callId}.'],
  // text and reasoning parts
  id: ['String', true, 'Id of the part, file or source.'],
  delta: ['String', true, 'The next chunk.'],
  responseType: ['String', false, 'Type name when the text is structured JSON.'],
  thread: ['String', false, 'Thread the event belongs to.'],
  // tools
  toolCallId: ['String', true, 'Tool call id.'],
  toolName: ['String', true, 'Tool name.'],
  title: ['String', false, 'Label for display `title`.'],
  display: ['String', false, 'Display mode: hidden, name, description, stream or title.'],
  inputTextDelta: ['String', true, 'Chunk of the JSON arguments.'],
  input: ['JSON', false, 'Arguments, or a worker’s input.'],
  output: ['JSON', false, 'A tool’s result, or a worker’s output value.'],
  error: ['String', false, 'Error message.'],
  toolCalls: [[PendingToolCallRef as never], true, 'Calls to answer before the run goes on.'],
  serverToolResults: ['JSON', false, 'Results of server tools of the same batch.'],
  // sources and files
  sourceType: ['String', true, '`url` or `document`.'],
  url: ['String', false, 'Where to fetch it.'],
  mediaType: ['String', false, 'Media type.'],
  filename: ['String', false, 'File name.'],
  size: ['Int', false, 'Bytes.'],
  todos: ['JSON', true, 'Todo items {id content status}.'],
  // blocks and resources
  blockId: ['String', true, 'Block id.'],
  blockName: ['String', true, 'Step name.'],
  blockType: ['String', true, 'Block kind, e.g. `next-message`.'],
  description: ['String', false, 'UI text.'],
  outputToChat: ['Boolean', false, 'False for an independent next-message.'],
  summary: ['String', false, 'Short summary.'],
  name: ['String', true, 'Resource name.'],
  value: ['JSON', false, 'New value.'],
  // workers
  workerSlug: ['String', true, 'Protocol slug of the worker.'],
  models: [[ResolvedModelRef as never], true, 'Which model answers each model id the protocol names.'],
  cancelled: ['Boolean', false, 'True when it was cancelled.'],
  // usage
  usage: [TokenUsageRef as never, false, 'Tokens the worker’s own model calls used.'],
  tokens: [TokenUsageRef as never, true, 'Tokens used.'],
  cost: ['JSON', true, 'Cost {currency bandwidthFee providerFee totalFee byok unpriced?} in USD at the configured prices; `unpriced: true` when a model used has no price.'],
} satisfies Record<string, FieldSpec>;

type FieldName = keyof typeof FIELDS;

/** Fields of each event type beyond the `RunEvent` interface (docs/protocol.md section 13). */
const EVENT_FIELDS: { [T in StreamEventType]: FieldName[] } = {
  start: ['executionId', 'messageId'],
  finish: ['finishReason', 'executionId'],
  error: ['errorType', 'message', 'retryable', 'source', 'retryAfter', 'code', 'provider', 'tool'],
  'text-start': ['id', 'responseType', 'thread'],
  'text-delta': ['id', 'delta', 'thread'],
  'text-end': ['id'],
  'reasoning-start': ['id'],
  'reasoning-delta': ['id', 'delta'],
  'reasoning-end': ['id'],
  'tool-input-start': ['toolCallId', 'toolName', 'title', 'display'],
  'tool-input-delta': ['toolCallId', 'inputTextDelta'],
  'tool-input-end': ['toolCallId'],
  'tool-input-available': ['toolCallId', 'toolName', 'input'],
  'tool-output-available': ['toolCallId', 'output'],
  'tool-output-error': ['toolCallId', 'error'],
  source: ['sourceType', 'id', 'url', 'title', 'mediaType', 'filename'],
  'todo-update': ['todos'],
  'block-start': ['blockId', 'blockName', 'blockType', 'display', 'description', 'outputToChat', 'thread'],
  'block-end': ['blockId', 'summary'],
  'resource-update': ['name', 'value'],
  'tool-request': ['toolCalls'],
  'client-tool-request': ['executionId', 'toolCalls', 'serverToolResults'],
  'file-available': ['id', 'mediaType', 'url', 'filename', 'size', 'toolCallId'],
  'worker-start': ['workerSlug', 'description', 'input', 'models'],
  'worker-result': ['output', 'error', 'cancelled', 'usage'],
  'worker-input-start': ['workerSlug', 'description'],
  'worker-input-delta': ['delta'],
  'worker-input-ready': ['input'],
  usage: ['tokens', 'cost'],
};

/** `text-delta` → `TextDeltaEvent`. */
function eventTypeName(type: string): string {
  return `${type.replace(/(^|-)(\w)/g, (_m, _dash: string, c: string) => c.toUpperCase())}Event`;
}

/** The GraphQL type name of every engine event type, computed once: `resolveType` runs for every event delivered. */
const TYPE_NAMES = new Map(Object.keys(STREAM_EVENT_TYPES).map((type) => [type, eventTypeName(type)]));

for (const type of Object.keys(STREAM_EVENT_TYPES) as StreamEventType[]) {
  builder.objectRef<StoredRunEvent>(eventTypeName(type)).implement({
    description: STREAM_EVENT_TYPES[type],
    interfaces: [RunEventRef],
    isTypeOf: (event) => (event as StoredRunEvent).type === type,
    fields: (t) =>
      Object.fromEntries(
        EVENT_FIELDS[type].map((name) => {
          const [fieldType, required, description]: FieldSpec = FIELDS[name];
          const field = t.field({
            type: fieldType as 'JSON',
            nullable: !required,
            description,
            resolve: (event) => (event as unknown as Record<string, unknown>)[name] ?? null,
          });
          return [name, field];
        }),
      ),
  });
}
