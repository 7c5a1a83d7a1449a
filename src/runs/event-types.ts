/**
 * GraphQL types of run events (API.md "Subscriptions"): the `RunEvent` interface and one
 * object type per protocol stream event, named PascalCase(type) + `Event`
 * (`text-delta` → `TextDeltaEvent`), with that event's fields typed. The field table
 * below follows src/protocol/events.ts; its keys are checked against the engine's event
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
} from '../protocol/events.js';
import type { StoredRunEvent } from './service.js';

export const RunEventRef = builder.interfaceRef<StoredRunEvent>('RunEvent').implement({
  description: 'One event of a run’s stream (PROTOCOL.md section 13), numbered gap-free from 1.',
  resolveType: (event) => eventTypeName(event.type),
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
  description: 'A tool call someone outside the engine must answer (PROTOCOL.md section 12).',
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
/** A field of an event type: its GraphQL type, whether it is always present, and a description. */
type FieldSpec = [type: FieldType, required: boolean, description: string];

const id: FieldSpec = ['String', true, 'Id of the part.'];
const delta: FieldSpec = ['String', true, 'The chunk of text.'];
const toolCallId: FieldSpec = ['String', true, 'Tool call id.'];

/** Fields of each event type beyond the `RunEvent` interface (section 13). */
const EVENT_FIELDS: { [T in StreamEventType]: Record<string, FieldSpec> } = {
  start: {
    executionId: ['String', false, 'Execution id (the run).'],
    messageId: ['String', false, 'Message id.'],
  },
  finish: {
    finishReason: ['String', true, '`stop`, `tool-calls`, `client-tool-calls`, `length`, `content-filter`, `error` or `other`.'],
    executionId: ['String', false, 'Execution id.'],
  },
  error: {
    errorType: ['String', true, 'PROTOCOL.md section 14 error type, e.g. `provider_error`.'],
    message: ['String', true, 'What went wrong.'],
    retryable: ['Boolean', true, 'Whether retrying may succeed.'],
    source: ['String', true, '`platform`, `provider`, `tool` or `client`.'],
    retryAfter: ['Int', false, 'Seconds to wait before retrying.'],
    code: ['String', false, 'Machine-readable code, e.g. `OPENAI_429`.'],
    provider: ['JSON', false, 'Provider details {name model statusCode errorType requestId}.'],
    tool: ['JSON', false, 'Tool details {name callId}.'],
  },
  'text-start': {
    id,
    responseType: ['String', false, 'Type name when the text is structured JSON.'],
    thread: ['String', false, 'Thread whose model writes this text.'],
  },
  'text-delta': { id, delta, thread: ['String', false, 'Thread whose model writes this text.'] },
  'text-end': { id },
  'reasoning-start': { id },
  'reasoning-delta': { id, delta },
  'reasoning-end': { id },
  'tool-input-start': {
    toolCallId,
    toolName: ['String', true, 'Tool name.'],
    title: ['String', false, 'Label for display `title`.'],
    display: ['String', false, 'Display mode.'],
  },
  'tool-input-delta': { toolCallId, inputTextDelta: ['String', true, 'Chunk of the JSON arguments.'] },
  'tool-input-end': { toolCallId },
  'tool-input-available': {
    toolCallId,
    toolName: ['String', true, 'Tool name.'],
    input: ['JSON', true, 'Parsed arguments.'],
  },
  'tool-output-available': { toolCallId, output: ['JSON', true, 'Tool result.'] },
  'tool-output-error': { toolCallId, error: ['String', true, 'Error message the model sees.'] },
  source: {
    sourceType: ['String', true, '`url` or `document`.'],
    id,
    url: ['String', false, 'URL (url sources).'],
    title: ['String', false, 'Title.'],
    mediaType: ['String', false, 'Media type (document sources).'],
    filename: ['String', false, 'File name (document sources).'],
  },
  'todo-update': { todos: ['JSON', true, 'Todo items {id content status}.'] },
  'block-start': {
    blockId: ['String', true, 'Block id.'],
    blockName: ['String', true, 'Step name.'],
    blockType: ['String', true, 'Block kind, e.g. `next-message`.'],
    display: ['String', true, 'Display mode.'],
    description: ['String', false, 'UI text.'],
    outputToChat: ['Boolean', false, 'False for an independent next-message.'],
    thread: ['String', false, 'Thread the block works on.'],
  },
  'block-end': { blockId: ['String', true, 'Block id.'], summary: ['String', false, 'Short summary.'] },
  'resource-update': { name: ['String', true, 'Resource name.'], value: ['JSON', false, 'New value.'] },
  'tool-request': { toolCalls: [[PendingToolCallRef as never], true, 'Calls the caller must run.'] },
  'client-tool-request': {
    executionId: ['String', true, 'Execution to continue.'],
    toolCalls: [[PendingToolCallRef as never], true, 'Calls the client must answer with submitToolResult.'],
    serverToolResults: ['JSON', false, 'Results of server tools of the same batch.'],
  },
  'file-available': {
    id,
    mediaType: ['String', true, 'Media type.'],
    url: ['String', true, 'Where to fetch it.'],
    filename: ['String', false, 'File name.'],
    size: ['Int', false, 'Bytes.'],
    toolCallId: ['String', false, 'Tool call that produced it.'],
  },
  'worker-start': {
    workerSlug: ['String', true, 'Protocol slug.'],
    description: ['String', false, 'UI text.'],
    input: ['JSON', false, 'Worker input (display stream only).'],
    models: [[ResolvedModelRef as never], true, 'Which model answers each model id the protocol names.'],
  },
  'worker-result': {
    output: ['JSON', false, 'The worker’s output value.'],
    error: ['String', false, 'Error message when it failed.'],
    cancelled: ['Boolean', false, 'True when it was cancelled.'],
  },
  'worker-input-start': {
    workerSlug: ['String', true, 'Protocol slug.'],
    description: ['String', false, 'UI text.'],
  },
  'worker-input-delta': { delta: ['String', true, 'Chunk of the input JSON.'] },
  'worker-input-ready': { input: ['JSON', true, 'Complete input.'] },
  usage: {
    tokens: [TokenUsageRef as never, true, 'Tokens used.'],
    cost: ['JSON', true, 'Cost {currency bandwidthFee providerFee totalFee byok}.'],
  },
};

/** `text-delta` → `TextDeltaEvent`. */
export function eventTypeName(type: string): string {
  return `${type.replace(/(^|-)(\w)/g, (_m, _dash: string, c: string) => c.toUpperCase())}Event`;
}

for (const type of Object.keys(STREAM_EVENT_TYPES) as StreamEventType[]) {
  builder.objectRef<StoredRunEvent>(eventTypeName(type)).implement({
    description: STREAM_EVENT_TYPES[type],
    interfaces: [RunEventRef],
    isTypeOf: (event) => (event as StoredRunEvent).type === type,
    fields: (t) =>
      Object.fromEntries(
        Object.entries(EVENT_FIELDS[type]).map(([name, [fieldType, required, description]]) => [
          name,
          t.field({
            type: fieldType as 'JSON',
            nullable: !required,
            description,
            resolve: (event) => (event as unknown as Record<string, unknown>)[name] ?? null,
          }),
        ]),
      ),
  });
}
