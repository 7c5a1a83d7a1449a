/**
 * Events nobody acts on cost no trigger or webhook query: the dispatcher reads which
 * types the organisation's triggers and webhooks want once, and skips the rest. A new
 * trigger is seen at once (its change is published on the bus), and an event of its
 * type wakes the dispatcher without waiting for its poll. Counted with the database's
 * statement hook over fake-clock ticks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_ORGANIZATION_ID, eventCursors, tasks } from '../../src/db/schema.js';
import { latestSeq, publishEvent } from '../../src/events/domain-events.js';
import { createLogger } from '../../src/logger.js';
import { createTrigger } from '../../src/triggers/service.js';
import { activateWorker, onboardWorker } from '../../src/workers/lifecycle-service.js';
import { hireWorker } from '../../src/workers/service.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { createTestDatabase, eventsSettled, type TestDatabase } from '../support/test-app.js';

describe('trigger and webhook interest', () => {
  const clock = new FakeClock('2026-03-06T12:00:00Z');
  const org = DEFAULT_ORGANIZATION_ID;
  let statements: string[] = [];
  let database: TestDatabase | undefined;
  let app: App;

  const dispatchedAll = async () => {
    const [cursor] = await app.services.db.select().from(eventCursors);
    return cursor?.lastSeq === (await latestSeq(app.services.db));
  };

  beforeAll(async () => {
    database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', LOG_LEVEL: 'silent', ...database?.env });
    // Not started: the scheduler runs only on the ticks below.
    app = await createApp(config, { logger: createLogger('silent'), clock, onStatement: (statement) => statements.push(statement) });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('dispatches events nobody wants without selecting triggers or webhooks per event', async () => {
    for (let i = 0; i < 20; i += 1) await publishEvent(app.services, org, { type: 'Lead.created', payload: { n: i } });
    await eventsSettled(app.services); // one tick then sees them all
    statements = [];
    app.scheduler.wake('event-dispatch');
    await app.scheduler.tick();
    expect(await dispatchedAll()).toBe(true);
    const interestReads = statements.filter((statement) => /from "(triggers|webhooks)"/.test(statement));
    expect(interestReads.length).toBeLessThanOrEqual(1); // the organisation's interest, read once
  });

  it('sees a new trigger at once and wakes the dispatcher for its events', async () => {
    const services = app.services;
    const worker = await hireWorker(services, org, { name: 'Sarah', role: 'SDR' });
    await onboardWorker(services, org, { workerId: worker.id });
    await activateWorker(services, org, worker.id);
    await app.scheduler.tick(); // every job has run once: from now on only wake-ups and due work
    await createTrigger(services, org, { eventType: 'Lead.created', workerId: worker.id, action: 'qualify_lead' });
    await publishEvent(services, org, { type: 'Lead.created', payload: { company: 'Initech' } });
    // The clock stands still, so the dispatcher runs only because the event woke it (once
    // the reaction has read the new interest).
    const made = await eventually(async () => {
      await app.scheduler.tick();
      const rows = await services.db.select().from(tasks);
      return rows.length > 0 ? rows : undefined;
    });
    expect(made.map((task) => ({ action: task.action, input: task.input, assigneeId: task.assigneeId }))).toEqual([
      { action: 'qualify_lead', input: { company: 'Initech' }, assigneeId: worker.id },
    ]);
  });
});
