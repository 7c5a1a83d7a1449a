/** GraphQL types and operations of runs. */
import { and, eq } from 'drizzle-orm';

import type { RunUsage, TokenCounts } from '../db/documents.js';
import { findFirstPrepared } from '../db/prepared-reads.js';
import { runs, runStatus } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Task } from '../tasks/schema.js';
import { visibleRuns } from '../auth/visibility.js';
import { Worker } from '../workers/schema.js';
import { PendingToolCallRef, RunEventRef } from './event-types.js';
import { cancelRun, executeWorker, listRunEvents, streamRunEvents, submitToolResult } from './service.js';

export const RunStatusEnum = builder.enumType('RunStatus', {
  description: 'QUEUED → RUNNING → (WAITING_FOR_TOOL ↔ RUNNING) → COMPLETED / FAILED / CANCELLED.',
  values: runStatus.enumValues,
});

const RunErrorRef = builder.objectRef<{ errorType: string; message: string }>('RunError').implement({
  description: 'Why a run failed.',
  fields: (t) => ({
    errorType: t.exposeString('errorType', { description: 'The error type, e.g. `provider_error`, `validation_error`, `tool_error`.' }),
    message: t.exposeString('message', { description: 'What went wrong.' }),
  }),
});

const ThreadUsageRef = builder.objectRef<TokenCounts & { thread: string }>('ThreadUsage').implement({
  description: 'Tokens used by one thread of a run.',
  fields: (t) => ({
    thread: t.exposeString('thread', { description: 'Thread name.' }),
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens.' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens.' }),
    totalTokens: t.exposeInt('totalTokens', { description: 'Sum.' }),
  }),
});

const RunUsageRef = builder.objectRef<RunUsage>('RunUsage').implement({
  description: 'Tokens used by a run’s own model calls so far (nested workers count in their own runs).',
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens.' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens.' }),
    totalTokens: t.exposeInt('totalTokens', { description: 'Sum.' }),
    threads: t.field({
      type: [ThreadUsageRef],
      description: 'The same, per thread.',
      resolve: (usage) => Object.entries(usage.threads ?? {}).map(([thread, counts]) => ({ thread, ...counts })),
    }),
  }),
});

export const Run = builder.drizzleNode('runs', {
  name: 'Run',
  description: 'One execution of a protocol version with an input; its events are stored and streamed.',
  id: { column: (run) => run.id },
  fields: (t) => ({
    protocol: t.relation('protocol', { description: 'The protocol executed.' }),
    version: t.exposeInt('version', { description: 'Protocol version the run started with; it keeps it.' }),
    worker: t.relation('worker', { nullable: true, description: 'The worker the run works for.' }),
    task: t.relation('task', { nullable: true, description: 'The task the run executes.' }),
    status: t.field({ type: RunStatusEnum, description: 'Where the run is.', resolve: (run) => run.status }),
    input: t.expose('input', { type: 'JSON', description: 'The protocol input.' }),
    output: t.expose('output', { type: 'JSON', nullable: true, description: 'The protocol output, once completed.' }),
    error: t.field({ type: RunErrorRef, nullable: true, description: 'Why it failed.', resolve: (run) => run.error }),
    pendingToolCalls: t.field({
      type: [PendingToolCallRef],
      description: 'Client tool calls the run waits for (status WAITING_FOR_TOOL); answer each with `submitToolResult`.',
      resolve: (run) => run.pendingToolCalls.filter((call) => !run.toolResults.some((result) => result.toolCallId === call.toolCallId)),
    }),
    parent: t.relation('parent', { nullable: true, description: 'The run whose nested worker this run is.' }),
    children: t.relation('children', { description: 'Runs of nested workers this run started.' }),
    depth: t.exposeInt('depth', { description: 'Nesting depth: 0 for a run started by a client.' }),
    usage: t.field({ type: RunUsageRef, description: 'Tokens used.', resolve: (run) => run.usage }),
    lastSeq: t.exposeInt('lastSeq', { description: 'Seq of the newest stored event (0 before the first).' }),
    events: t.field({
      type: [RunEventRef],
      description: 'Stored events with seq > `after`, in order.',
      args: {
        after: t.arg.int({ description: 'Only events after this seq (default 0).' }),
        first: t.arg.int({ description: 'At most this many (default 1000, max 10000).' }),
      },
      resolve: (run, args, ctx) =>
        listRunEvents(ctx.db, run.id, { after: args.after ?? 0, limit: Math.min(Math.max(args.first ?? 1000, 0), 10_000) }),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When execution started.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was queued.' }),
  }),
});

const ExecuteWorkerInput = builder.inputType('ExecuteWorkerInput', {
  description: 'What to execute: a protocol by slug with its input.',
  fields: (t) => ({
    protocol: t.string({ required: true, description: 'Protocol slug; its newest version runs.' }),
    input: t.field({ type: 'JSON', description: 'Object of protocol inputs, e.g. {"TOPIC": "AI safety"}.' }),
    workerId: t.globalID({ for: Worker, description: 'The worker the run works for.' }),
    taskId: t.globalID({ for: Task, description: 'The task the run executes.' }),
  }),
});

const CancelRunInput = builder.inputType('CancelRunInput', {
  description: 'The run to cancel.',
  fields: (t) => ({ runId: t.globalID({ required: true, for: Run, description: 'The run.' }) }),
});

const SubmitToolResultInput = builder.inputType('SubmitToolResultInput', {
  description: 'The answer to one pending client tool call.',
  fields: (t) => ({
    runId: t.globalID({ required: true, for: Run, description: 'The paused run.' }),
    toolCallId: t.string({ required: true, description: 'Id from `ClientToolRequestEvent.toolCalls`.' }),
    output: t.field({ type: 'JSON', description: 'The tool’s result.' }),
    error: t.string({ description: 'An error message instead of a result.' }),
  }),
});

builder.queryFields((t) => ({
  run: t.drizzleField({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: 'runs',
    nullable: true,
    description: 'One run by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Run, description: 'Global ID of the run.' }) },
    resolve: (query, _root, { id }, ctx) => findFirstPrepared(ctx.db, 'runs', query, { id: id.id, ...visibleRuns(ctx.actor) }),
  }),
  runs: t.drizzleConnection({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: 'runs',
    description: 'Runs, newest first.',
    args: { status: t.arg({ type: RunStatusEnum, description: 'Only runs in this status.' }) },
    totalCount: (_root, args, ctx) =>
      ctx.db.$count(
        runs,
        and(
          eq(runs.organizationId, ctx.actor.organizationId),
          ctx.actor.role === 'worker' ? eq(runs.workerId, ctx.actor.workerId!) : undefined,
          args.status ? eq(runs.status, args.status) : undefined,
        ),
      ),
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.runs.findMany(
        query({
          where: { ...visibleRuns(ctx.actor), ...(args.status ? { status: args.status } : {}) },
          orderBy: { id: 'desc' },
        }),
      ),
  }),
}));

builder.mutationFields((t) => ({
  executeWorker: t.field({
    type: Run,
    description: 'Queues a run of a protocol and returns it at once; execution continues in the background. Subscribe to `runEvents` to watch it.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: ExecuteWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      executeWorker(ctx, ctx.actor.organizationId, {
        protocol: input.protocol,
        input: input.input as Record<string, unknown> | null | undefined,
        workerId: input.workerId?.id,
        taskId: input.taskId?.id,
      }),
  }),
  cancelRun: t.field({
    type: Run,
    description: 'Cancels a run that has not ended; its stream ends with `worker-result { cancelled: true }`.',
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: CancelRunInput, required: true }) },
    resolve: (_root, { input }, ctx) => cancelRun(ctx, ctx.actor.organizationId, input.runId.id),
  }),
  submitToolResult: t.field({
    authScopes: { operator: true, worker: true },
    skipTypeScopes: true,
    type: Run,
    description: 'Answers a pending client tool call; the run resumes once every call of the batch is answered.',
    errors: { types: [NotFoundError, InvalidTransitionError, ValidationError] },
    args: { input: t.arg({ type: SubmitToolResultInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      submitToolResult(ctx, ctx.actor, {
        runId: input.runId.id,
        toolCallId: input.toolCallId,
        output: input.output,
        error: input.error,
      }),
  }),
}));

builder.subscriptionField('runEvents', (t) =>
  t.field({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: RunEventRef,
    description: 'Every stored event of the run with seq > `after`, then live ones, gap-free and in order; completes after the run ends.',
    args: {
      runId: t.arg.globalID({ required: true, for: Run, description: 'The run.' }),
      after: t.arg.int({ description: 'Resume after this seq (default 0: from the beginning).' }),
    },
    subscribe: (_root, args, ctx) => streamRunEvents(ctx, ctx.actor, args.runId.id, args.after ?? 0),
    resolve: (event) => event,
  }),
);
