/**
 * An idle server sends next to no SQL: the scheduler's jobs run when woken, when their
 * work falls due or on their poll, never every tick. Counted with the database's
 * statement hook over fake-clock ticks (counts, not durations); then a schedule and a
 * webhook show that due work still runs at its instant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { assignRecurringTask } from '../../src/tasks/recurring.js';
import { hireWorker } from '../../src/workers/service.js';
import { activateWorker, onboardWorker } from '../../src/workers/lifecycle-service.js';
import { DEFAULT_ORGANIZATION_ID, tasks } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { FakeClock } from '../support/fake-clock.js';
import { createTestDatabase, eventsSettled, type TestDatabase } from '../support/test-app.js';

/** Ticks, one fake second apart: ten minutes of an idle server. */
const TICKS = 600;
/**
 * Statements allowed per tick (per second) when nothing happens. The goal is at
 * most 1; measured: 0.2 (the dispatcher's poll of 5 statements and the recurring,
 * delivery and fleet-census reads once a minute, the work sweep's 2 every 30 s).
 */
const BUDGET_PER_TICK = 0.25;

describe('an idle scheduler', () => {
  const clock = new FakeClock('2026-03-06T12:00:00Z');
  let statements: string[] = [];
  let database: TestDatabase | undefined;
  let app: App;

  /** Moves the clock one second at a time and ticks; resolves with the statements sent meanwhile. */
  const idleFor = async (ticks: number): Promise<string[]> => {
    statements = [];
    for (let i = 0; i < ticks; i += 1) {
      clock.advance(1000);
      await app.scheduler.tick();
    }
    return statements;
  };

  beforeAll(async () => {
    database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', LOG_LEVEL: 'silent', ...database?.env });
    // Not started: no timer ticks, only the ticks below.
    app = await createApp(config, { logger: createLogger('silent'), clock, onStatement: (statement) => statements.push(statement) });
    await app.scheduler.tick(); // the first tick runs every job once
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('sends at most one statement per four ticks when nothing happens', async () => {
    const sent = await idleFor(TICKS);
    expect(sent.length).toBeLessThanOrEqual(TICKS * BUDGET_PER_TICK);
    expect(sent.length).toBeGreaterThan(0); // the polls still run
  });

  it('still fires a recurring instant at its time, then goes back to sleep', async () => {
    const services = app.services;
    const worker = await hireWorker(services, DEFAULT_ORGANIZATION_ID, { name: 'Alex', role: 'CSM' });
    await onboardWorker(services, DEFAULT_ORGANIZATION_ID, { workerId: worker.id });
    await activateWorker(services, DEFAULT_ORGANIZATION_ID, worker.id);
    const schedule = await assignRecurringTask(services, DEFAULT_ORGANIZATION_ID, {
      workerId: worker.id,
      action: 'check_in',
      schedule: '*/5 * * * *',
    });
    const firstInstant = schedule.nextRunAt!;
    const ticksUntil = Math.ceil((firstInstant.getTime() - clock.now().getTime()) / 1000);
    await idleFor(ticksUntil);
    const made = await services.db.select().from(tasks);
    expect(made.map((task) => task.scheduledFor)).toEqual([firstInstant]);

    // Between instants the job sleeps until the next one (plus the work sweep's polls),
    // once the instant's events are settled (the dispatcher reads again while they are held back).
    await eventsSettled(services);
    const sent = await idleFor(4 * 60);
    expect(sent.length).toBeLessThanOrEqual(4 * 60 * BUDGET_PER_TICK);
  });
});
