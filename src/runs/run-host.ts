/**
 * The engine's host for one run (src/protocol `ExecutionHost`): where its events and
 * checkpoints go (the run's event log), which models and tool handlers it gets, how it
 * reaches remote MCP servers (src/tools/mcp.ts), and how a nested worker becomes a
 * child run of its own, linked to its parent.
 */
import type { Database } from '../db/client.js';
import type { RunUsage } from '../db/documents.js';
import { runs } from '../db/schema.js';
import { transactionWithEvents } from '../events/outbox.js';
import { costOf, type ModelPrices } from '../models/prices.js';
import type { ModelRegistry } from '../models/registry.js';
import type { OutboundPolicy } from '../net/outbound.js';
import type { ChildWorker, EngineTelemetry, ExecutionHost, RunState, RunTotals, WorkerOutcome } from '../engine/execute.js';
import type { Bus } from '../realtime/bus.js';
import { findLatestVersion, parsedVersion, type LoadedVersion } from '../protocols/service.js';
import { connectMcpServer } from '../tools/mcp.js';
import { toolHandlerLookup, type BuiltinTools } from '../tools/registry.js';
import { RunEventLog, type Lease } from './event-log.js';
import type { RecentRunEvents } from './recent-events.js';

type RunRow = typeof runs.$inferSelect;

/** How a run ended (not paused), as recorded on its row. */
export type RunEnding =
  | { status: 'COMPLETED'; output: unknown }
  | { status: 'FAILED'; error: { errorType: string; message: string } }
  | { status: 'CANCELLED' };

/** What run hosts share: services, this process's lease id, and how to record an ending. */
export interface RunHostContext {
  db: Database;
  bus: Bus;
  /** Where run event logs keep committed events for this process's subscribers. */
  recent: RecentRunEvents;
  models: ModelRegistry;
  /** Prices of the runs' tokens (src/models/prices.ts). */
  prices: ModelPrices;
  builtinTools: BuiltinTools;
  /** Where HTTP tools and MCP servers may be reached. */
  outbound: OutboundPolicy;
  /** This process's lease (child runs are claimed with it at creation). */
  lease: Lease;
  /** Makes the heartbeat renew `log`'s lease while its run works (until `end`). */
  track(log: RunEventLog): void;
  /** Records the end of a run (status, last events, domain event) in one transaction. */
  end(log: RunEventLog, run: RunRow, ending: RunEnding, totals?: RunTotals): Promise<void>;
  /** Where the engine reports its spans (absent: runs are not traced). */
  telemetry?: EngineTelemetry;
}

/** The ending of an outcome that is not a pause. */
export function endingOf(outcome: Exclude<WorkerOutcome, { status: 'paused' }>): RunEnding {
  switch (outcome.status) {
    case 'completed':
      return { status: 'COMPLETED', output: outcome.output ?? null };
    case 'failed':
      return { status: 'FAILED', error: outcome.error };
    case 'cancelled':
      return { status: 'CANCELLED' };
  }
}

/** The run's usage as stored: its totals and the per-thread and per-model counts of its state. */
export function usageOf(state: Pick<RunState, 'usage' | 'threads' | 'models'>): RunUsage {
  const threads = Object.fromEntries(
    Object.entries(state.threads).flatMap(([name, thread]) => (thread.usage ? [[name, thread.usage]] : [])),
  );
  return { ...state.usage, threads, models: state.models ?? {} };
}

/**
 * Builds the host of `run` (executing `version`), writing to `log`.
 * Events of hidden blocks, tools and workers are not stored: the protocol format filters
 * them out before the client (docs/protocol.md, "Stream events"), and the stored stream is what
 * clients receive, numbered without gaps.
 */
export function createRunHost(
  context: RunHostContext,
  run: RunRow,
  version: LoadedVersion,
  log: RunEventLog,
  signal: AbortSignal,
): ExecutionHost {
  const { db, models } = context;
  return {
    resolveModel: (id) => models.resolve(id),
    costOf: (usage) => costOf(context.prices, usage),
    emit: (event, meta) => {
      if (!meta.hidden) log.append(event);
    },
    checkpoint: (state) => (state.pending ? pause(log, run, state) : log.flush({ state, usage: usageOf(state), pendingToolCalls: [], toolResults: [] })),
    signal,
    toolHandler: toolHandlerLookup(context.builtinTools, version.httpTools, context.outbound),
    connectMcpServer: (server, connectSignal) => connectMcpServer(server, connectSignal, context.outbound),
    workerProtocol: async (slug) => parsedVersion((await findLatestVersion(db, run.organizationId, slug)).version).protocol,
    startWorker: (request) => startChildRun(context, run, request, signal),
    ...(context.telemetry ? { telemetry: context.telemetry } : {}),
  };
}

/**
 * Records a pause for client tools (the engine's last checkpoint of a leg): the state,
 * WAITING_FOR_TOOL with the pending calls, the released lease and `Run.waiting`, with the
 * leg's last events (`client-tool-request`, `finish`), in one transaction — so a client
 * that saw the events finds the run waiting, and an answer can never race the pause.
 * Outside a pause every checkpoint clears the calls and answers of the batch it took in,
 * so that a crash after that point resumes from the state alone.
 */
function pause(log: RunEventLog, run: RunRow, state: RunState): Promise<void> {
  const calls = state.pending!.calls;
  return log.flush(
    {
      state,
      usage: usageOf(state),
      status: 'WAITING_FOR_TOOL',
      pendingToolCalls: calls,
      toolResults: [],
      leaseOwner: null,
      leaseExpiresAt: null,
    },
    async (_tx, outbox) => {
      await outbox.append({
        organizationId: run.organizationId,
        type: 'Run.waiting',
        subjectId: run.id,
        payload: { toolCalls: calls.map((call) => ({ toolCallId: call.toolCallId, toolName: call.toolName })) },
      });
    },
  );
}

/** Creates the child run of a nested worker, claimed by this process, and its host. */
async function startChildRun(
  context: RunHostContext,
  parent: RunRow,
  request: Parameters<NonNullable<ExecutionHost['startWorker']>>[0],
  signal: AbortSignal,
): Promise<ChildWorker> {
  const { protocol: protocolRow, version } = await findLatestVersion(context.db, parent.organizationId, request.slug);
  const loaded = parsedVersion(version);
  const child = await transactionWithEvents(context, async (tx, outbox) => {
    const [row] = await tx
      .insert(runs)
      .values({
        id: request.workerId,
        organizationId: parent.organizationId,
        protocolId: protocolRow.id,
        protocolVersionId: version.id,
        version: version.version,
        workerId: parent.workerId,
        // A nested worker's tokens count to the same worker and fleet as its parent's.
        fleetId: parent.fleetId,
        parentRunId: parent.id,
        depth: request.depth,
        status: 'RUNNING',
        input: request.input,
        leaseOwner: context.lease.owner,
        leaseExpiresAt: new Date(Date.now() + context.lease.ms),
        startedAt: new Date(),
      })
      .returning();
    await outbox.append({
      organizationId: parent.organizationId,
      type: 'Run.started',
      subjectId: row!.id,
      payload: { protocol: protocolRow.slug, version: version.version, parentRunId: parent.id },
    });
    return row!;
  });
  const log = new RunEventLog(context, child, 0, context.lease);
  context.track(log);
  return {
    protocol: loaded.protocol,
    executionId: child.id,
    host: createRunHost(context, child, loaded, log, signal),
    finish: async (outcome) => {
      if (outcome.status === 'paused') {
        // The engine never pauses a child (its client tools are error results); a pause
        // here is a broken contract, recorded as a failure rather than a stuck run.
        await context.end(log, child, { status: 'FAILED', error: { errorType: 'internal_error', message: 'a nested worker paused' } });
        return;
      }
      await context.end(log, child, endingOf(outcome), outcome);
    },
  };
}
