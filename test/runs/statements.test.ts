/**
 * What a protocol run costs the database: a 6-block run (two threads, two model calls on
 * a local OpenAI-compatible server) from `executeWorker` to its end stays within a
 * statement budget, counted with the database's statement hook (a count, not a
 * duration), while every event is still stored once and in order. And a writer that lost
 * its run's lease stores nothing: neither its checkpoint nor its events.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_ORGANIZATION_ID, runs } from '../../src/db/schema.js';
import { transactionWithEvents } from '../../src/events/outbox.js';
import { createLogger } from '../../src/logger.js';
import { createProtocol } from '../../src/protocols/service.js';
import { LeaseLostError, RunEventLog } from '../../src/runs/event-log.js';
import { executeWorker, listRunEvents, queueRun, streamRunEvents, type RunRow, type StoredRunEvent } from '../../src/runs/service.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';

/**
 * Statements one run may send, BEGIN and COMMIT included: the goal for a 6-block
 * run. Measured: 12 on PGlite and PostgreSQL — executeWorker's transaction (4: the run's
 * INSERT looks its protocol version up itself), the claim (1), three writes for the eight
 * checkpoints (after each block, and before each model call; those that wait behind a
 * write share the next one), the end's transaction with its domain event (4), and one per
 * write of streamed text while a model answers (here 0 to 2).
 */
const RUN_BUDGET = 25;

/** Six blocks: start-thread, add-message, next-message, twice. */
const PROTOCOL = `input:
  TOPIC: { type: string }
variables:
  RESEARCH: { type: string }
  ANALYSIS: { type: string }
steps:
  Start research: { block: start-thread, thread: research, model: openai/gpt-4o, system: research-system }
  Ask for research: { block: add-message, thread: research, role: user, prompt: research-prompt, input: [TOPIC] }
  Research: { block: next-message, thread: research, output: RESEARCH }
  Start analysis: { block: start-thread, thread: analysis, model: openai/gpt-4o, system: analysis-system }
  Ask for analysis: { block: add-message, thread: analysis, role: user, prompt: analysis-prompt, input: [RESEARCH] }
  Analyse: { block: next-message, thread: analysis, output: ANALYSIS }
output: ANALYSIS
`;
const PROMPTS = [
  { name: 'research-system', content: 'You research topics.' },
  { name: 'research-prompt', content: 'Research this topic: {{TOPIC}}' },
  { name: 'analysis-system', content: 'You analyse findings.' },
  { name: 'analysis-prompt', content: 'Analyse these findings: {{RESEARCH}}' },
];

describe('the statements of a protocol run', () => {
  let statements: string[] | undefined;
  let database: TestDatabase | undefined;
  let llm: FakeOpenAIServer;
  let app: App;

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: 'test',
      ...database?.env,
    });
    app = await createApp(config, { logger: createLogger('silent'), onStatement: (statement) => statements?.push(statement) });
    await createProtocol(app.services, DEFAULT_ORGANIZATION_ID, { slug: 'research', source: PROTOCOL, prompts: PROMPTS });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
    await llm?.close();
  });

  /** Executes a run and resolves with the statements sent until its end was committed. */
  const countedRun = async (topic: string): Promise<{ run: RunRow; sent: string[] }> => {
    const sent: string[] = [];
    statements = sent;
    const run = await executeWorker(app.services, DEFAULT_ORGANIZATION_ID, { protocol: 'research', input: { TOPIC: topic } });
    // Listening now is in time: the run cannot end before its model calls were answered.
    await new Promise<void>((resolve) => {
      const unlisten = app.services.bus.listen('run:events', run.id, (change) => {
        if (!change.ended) return;
        unlisten();
        resolve();
      });
    });
    statements = undefined;
    return { run, sent };
  };

  it('runs six blocks in at most the budget of statements, every event stored once and in order', async () => {
    await countedRun('warm-up'); // the first run on a fresh connection may look up types
    const { run, sent } = await countedRun('solid-state batteries');

    expect(sent.length).toBeLessThanOrEqual(RUN_BUDGET);
    // Eight checkpoints and the end share writes of the run row: checkpoints that wait behind
    // a write go in the next one (4 writes, plus streamed text; 9 if each had its own).
    expect(sent.filter((statement) => statement.startsWith('with "updated"')).length).toBeLessThanOrEqual(6);
    const [stored] = await app.services.db.select().from(runs).where(eq(runs.id, run.id));
    expect(stored).toMatchObject({ status: 'COMPLETED', leaseOwner: null });
    expect(stored!.output).toBe('Fake gpt-4o received: Analyse these findings: Fake gpt-4o received: Research this topic: solid-state batteries');
    const events = await listRunEvents(app.services.db, run.id);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: stored!.lastSeq }, (_, i) => i + 1));
    // start-thread and add-message blocks are hidden by default: the two model blocks show.
    expect(events.filter((event) => event.type === 'block-end')).toHaveLength(2);
    expect([events[0]!.type, events[1]!.type, ...events.slice(-3).map((event) => event.type)]).toEqual(['start', 'worker-start', 'worker-result', 'finish', 'usage']);
  });

  it('follows the run from memory: a subscriber in the writing process reads back none of its events', async () => {
    const sent: string[] = [];
    statements = sent;
    const run = await executeWorker(app.services, DEFAULT_ORGANIZATION_ID, { protocol: 'research', input: { TOPIC: 'tidal power' } });
    const seen: StoredRunEvent[] = [];
    for await (const event of streamRunEvents(app.services, { organizationId: DEFAULT_ORGANIZATION_ID, role: 'admin', workerId: null }, run.id)) seen.push(event);
    statements = undefined;

    expect(sent.filter((statement) => /from "run_events"/.test(statement))).toEqual([]);
    expect(sent.length).toBeLessThanOrEqual(RUN_BUDGET);
    expect(seen).toEqual(await listRunEvents(app.services.db, run.id));
    expect(seen.at(-1)!.type).toBe('usage');
  });

  it('stores nothing from a writer whose lease another process took', async () => {
    const { db, bus } = app.services;
    const queued = await transactionWithEvents({ db, bus }, (tx, outbox) =>
      queueRun(tx, outbox, DEFAULT_ORGANIZATION_ID, { protocol: 'research', input: { TOPIC: 'x' }, workerId: null, taskId: null }),
    );
    await db.update(runs).set({ status: 'RUNNING', leaseOwner: 'another-process' }).where(eq(runs.id, queued.id));
    const log = new RunEventLog({ db, bus }, queued, 0, { owner: 'this-process', ms: 30_000 });
    log.append({ type: 'start', executionId: queued.id });

    await expect(log.flush({ state: { nextStep: 1 } })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await listRunEvents(db, queued.id)).toEqual([]);
    const [row] = await db.select().from(runs).where(eq(runs.id, queued.id));
    expect(row).toMatchObject({ state: null, lastSeq: 0, leaseOwner: 'another-process' });

    // The holder of the lease writes events and checkpoint together, and renews its lease.
    const holder = new RunEventLog({ db, bus }, queued, 0, { owner: 'another-process', ms: 30_000 });
    holder.append({ type: 'start', executionId: queued.id });
    await holder.flush({ state: { nextStep: 1 } });
    expect((await listRunEvents(db, queued.id)).map((event) => event.type)).toEqual(['start']);
    const [written] = await db.select().from(runs).where(eq(runs.id, queued.id));
    expect(written).toMatchObject({ state: { nextStep: 1 }, lastSeq: 1 });
    expect(written!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
  });
});
