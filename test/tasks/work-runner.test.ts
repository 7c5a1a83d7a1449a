/**
 * The work runner reacts to every worker event; a worker without a protocol starts
 * nothing, and once the runner has read that, further assignments to it cost no read
 * (a worker never gains a protocol after it is hired). Counted with the database's
 * statement hook; stopping the app waits for the runner's work in progress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_ORGANIZATION_ID, tasks } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { assignTask } from '../../src/tasks/service.js';
import { activateWorker, onboardWorker } from '../../src/workers/lifecycle-service.js';
import { hireWorker } from '../../src/workers/service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';

/** The runner's unlocked read of a worker's protocol. */
const PROTOCOL_PEEK = /^select "organization_id", "protocol_id" from "workers"/;

describe('the work runner and a worker without a protocol', () => {
  let statements: string[] = [];
  let database: TestDatabase | undefined;
  let app: App | undefined;

  beforeAll(async () => {
    database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', LOG_LEVEL: 'silent', ...database?.env });
    app = await createApp(config, { logger: createLogger('silent'), onStatement: (statement) => statements.push(statement) });
    await app.start();
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('reads the worker once, however many tasks it is assigned, and leaves them ASSIGNED', async () => {
    const services = app!.services;
    const worker = await hireWorker(services, DEFAULT_ORGANIZATION_ID, { name: 'Alex', role: 'SDR' });
    await onboardWorker(services, DEFAULT_ORGANIZATION_ID, { workerId: worker.id });
    await activateWorker(services, DEFAULT_ORGANIZATION_ID, worker.id);
    statements = [];
    for (let i = 0; i < 3; i += 1) {
      await assignTask(services, DEFAULT_ORGANIZATION_ID, { workerId: worker.id, action: 'qualify_lead', input: { lead: `L${i}` } });
    }
    const rows = await services.db.select({ status: tasks.status }).from(tasks);
    await app!.stop(); // waits for the runner's fills the assignments kicked
    app = undefined;
    // Hire, onboard and activate may already have taught the runner; at most one read.
    expect(statements.filter((statement) => PROTOCOL_PEEK.test(statement)).length).toBeLessThanOrEqual(1);
    expect(rows.map((row) => row.status)).toEqual(['ASSIGNED', 'ASSIGNED', 'ASSIGNED']);
  });
});
