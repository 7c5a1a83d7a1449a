/**
 * Fleet monitoring over HTTP with a fake clock: SLA breaches per task raise
 * `Fleet.sla.breached` once and count in the metrics; alerts fire once per crossing and
 * are POSTed, signed and retried, to a local webhook receiver; metrics, workerMetrics
 * and status agree with the work done.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually, FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, finishTask, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

const SECRET = 'alert-secret-0123456789';

/** A receiver on 127.0.0.1 that answers 500 to the first request, then 200. */
async function startReceiver() {
  const received: Array<{ body: string; signature: string }> = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls++;
      if (calls === 1) return void res.writeHead(500).end();
      received.push({ body, signature: String(req.headers['x-workforce-signature']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    attempts: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('fleet monitoring', () => {
  const clock = new FakeClock(new Date());
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await createTestApp({ clock, env: { OUTBOUND_ALLOW: '127.0.0.1' } });
    await app.app.scheduler.stop(); // explicit ticks only
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  const tickAfter = async (ms: number) => {
    clock.advance(ms);
    await app.app.scheduler.tick();
  };

  it('measures SLAs, raises alerts once per crossing and delivers them to a webhook', async () => {
    const fleetId = await createFleet(app, {
      name: 'Support',
      workerTemplate: { role: 'CustomerSupportRepresentative' },
      scaling: { min: 1, max: 1 },
      sla: { responseTimeSeconds: 60, resolutionTimeSeconds: 600 },
    });
    const alerts = await mutate(
      app,
      'configureFleetAlerts',
      'ConfigureFleetAlertsInput',
      {
        fleetId,
        alerts: [
          { metric: 'QUEUE_DEPTH', threshold: 2, channel: 'pagerduty', webhookUrl: receiver.url, webhookSecret: SECRET },
          { metric: 'ERROR_RATE', threshold: 0.4, channel: 'slack' },
          { metric: 'HEALTH_SCORE', threshold: 0.2, channel: 'email' },
        ],
      },
      '',
    );
    expect(alerts).toBeDefined();
    const { fleet: configured } = await app.data(`query ($id: ID!) { fleet(id: $id) { alerts { id metric threshold direction channel firing webhook { url } } } }`, { id: fleetId });
    expect(configured.alerts).toMatchObject([
      { metric: 'QUEUE_DEPTH', threshold: 2, direction: 'ABOVE', channel: 'pagerduty', firing: false, webhook: { url: receiver.url } },
      { metric: 'ERROR_RATE', direction: 'ABOVE', webhook: null },
      { metric: 'HEALTH_SCORE', direction: 'BELOW' },
    ]);

    // 1 assigned + 3 queued: the queue crosses 2 — one trigger, however much more arrives.
    const work = await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }, { action: 'c' }, { action: 'd' }]);
    await assignWork(app, fleetId, [{ action: 'e' }]);
    const firing = await eventually(async () => {
      const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { alerts { metric firing lastValue } } }`, { id: fleetId });
      return fleet.alerts[0].firing ? fleet.alerts[0] : undefined;
    });
    expect(firing.lastValue).toBe(3);

    // The deliverer sends it after the transaction; the receiver refuses once, the retry (10 s later) lands.
    await app.app.scheduler.tick();
    expect(receiver.attempts()).toBe(1);
    await tickAfter(11_000);
    expect(receiver.received).toHaveLength(1);
    const delivery = receiver.received[0]!;
    const body = JSON.parse(delivery.body);
    expect(body).toMatchObject({ type: 'Fleet.alert.triggered', subjectId: expect.any(String), payload: { metric: 'QUEUE_DEPTH', value: 3, threshold: 2, channel: 'pagerduty' } });
    const { t, v1 } = Object.fromEntries(delivery.signature.split(',').map((part) => part.split('='))) as { t: string; v1: string };
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${delivery.body}`).digest('hex'));

    // Two minutes of waiting: every task not started breached its 60 s response SLA, once.
    await tickAfter(2 * 60_000);
    await tickAfter(1000);
    const breaches = await storedEvents(app, ['Fleet.sla.breached'], (e) => e.subjectId === fleetId, 5);
    expect(breaches.every((e) => e.payload.kind === 'RESPONSE' && e.payload.targetSeconds === 60 && e.payload.elapsedSeconds > 60)).toBe(true);
    expect(new Set(breaches.map((e) => e.payload.taskId)).size).toBe(5);
    expect((await readFleet(app, fleetId)).status).toMatchObject({ queueDepth: 4, slaBreaches: 5, slaCompliance: 0 });

    // The queue drains below the threshold: resolved; a failure crosses the error rate.
    const assigned = work.tasks.find((task: any) => task.status === 'ASSIGNED').id;
    const { fleet: queued } = await app.data(`query ($id: ID!) { fleet(id: $id) { queue { edges { node { id } } } } }`, { id: fleetId });
    for (const edge of queued.queue.edges.slice(0, 3)) {
      await app.data(`mutation ($id: ID!) { cancelTask(input: { taskId: $id }) { __typename } }`, { id: edge.node.id });
    }
    await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } failTask(input: { taskId: $id, error: "no" }) { __typename } }`, { id: assigned });
    const alertEvents = await storedEvents(app, ['Fleet.alert.triggered', 'Fleet.alert.resolved'], (e) => e.subjectId === fleetId, 3);
    expect(alertEvents.map((e) => [e.type, e.payload.metric])).toEqual([
      ['Fleet.alert.triggered', 'QUEUE_DEPTH'],
      ['Fleet.alert.resolved', 'QUEUE_DEPTH'],
      ['Fleet.alert.triggered', 'ERROR_RATE'],
    ]);

    // The last queued task is handed out; finish it well within the resolution SLA.
    const last = await eventually(async () => {
      const { tasks } = await app.data(`{ tasks(status: ASSIGNED) { edges { node { id fleet { id } } } } }`);
      return tasks.edges.find((e: any) => e.node.fleet?.id === fleetId)?.node.id as string | undefined;
    });
    await finishTask(app, last);

    const { fleet } = await app.data(
      `query ($id: ID!) { fleet(id: $id) {
        metrics { totalWorkers activeWorkers idleWorkers totalTasksCompleted totalTasksFailed successRate errorRate responseSlaBreaches resolutionSlaBreaches avgCompletionTimeMs }
        workerMetrics { worker { name } tasksCompleted tasksFailed tasksInProgress successRate utilization }
        status { queueDepth completed failed healthScore recentSuccessRate slaCompliance }
      } }`,
      { id: fleetId },
    );
    expect(fleet.metrics).toMatchObject({
      totalWorkers: 1,
      activeWorkers: 0,
      idleWorkers: 1,
      totalTasksCompleted: 1,
      totalTasksFailed: 1,
      successRate: 0.5,
      errorRate: 0.5,
      responseSlaBreaches: 5,
      resolutionSlaBreaches: 0,
    });
    expect(fleet.metrics.avgCompletionTimeMs).toBeGreaterThanOrEqual(0);
    expect(fleet.workerMetrics).toEqual([{ worker: { name: 'Support #1' }, tasksCompleted: 1, tasksFailed: 1, tasksInProgress: 0, successRate: 0.5, utilization: 0 }]);
    // health = 0.5 × 0.5 (success) + 0.3 × 1 (no queue) + 0.2 × 0 (every recent task breached)
    expect(fleet.status).toMatchObject({ queueDepth: 0, completed: 1, failed: 1, recentSuccessRate: 0.5, slaCompliance: 0, healthScore: 0.55 });
  });
});
