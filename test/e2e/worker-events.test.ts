/**
 * Event-driven work: an outside system posts `Lead.created` with `publishEvent`; a
 * trigger turns each matching event into exactly one task; a webhook delivers events
 * to a local receiver with an HMAC signature, retries with backoff on a fake clock, and
 * logs every attempt — never holding up the mutation that raised the event.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventCursors, events } from '../../src/db/schema.js';
import { dispatchEvents } from '../../src/events/dispatcher.js';
import { EventInterest } from '../../src/events/interest.js';
import { fireTriggers } from '../../src/triggers/service.js';
import { RETRY_DELAYS_SECONDS } from '../../src/webhooks/deliver.js';
import { SIGNATURE_HEADER, verifySignature } from '../../src/webhooks/signature.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const SECRET = 'whsec_test_0123456789abcdef';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { deliveryId: string; seq: number; type: string; subjectId: string | null; payload: Record<string, any> };
}

/** A webhook receiver on 127.0.0.1: records requests and answers with `answer(body)`. */
async function startReceiver(answer: (body: Received['body']) => number | Promise<number>) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw) as Received['body'];
    received.push({ headers: req.headers, raw, body });
    res.writeHead(await answer(body)).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const PUBLISH = /* GraphQL */ `
  mutation ($input: PublishEventInput!) {
    publishEvent(input: $input) { __typename ... on DomainEvent { seq type payload } ... on ValidationError { issues { path message } } }
  }
`;

const DELIVERIES = /* GraphQL */ `
  query ($id: ID!) {
    node(id: $id) {
      ... on Webhook {
        deliveries(first: 50) { totalCount edges { node { id eventSeq eventType status nextAttemptAt deliveredAt attempts { statusCode error } } } }
      }
    }
  }
`;

describe('events in and out', () => {
  const clock = new FakeClock('2026-05-01T10:00:00Z');
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let answer: (body: Received['body']) => number | Promise<number> = () => 200;
  let workerId: string;
  let triggerId: string;
  let webhookId: string;

  beforeAll(async () => {
    receiver = await startReceiver((body) => answer(body));
    // The receiver listens on loopback, which the outbound policy refuses unless allowed.
    app = await createTestApp({ clock, env: { OUTBOUND_ALLOW: '127.0.0.1' } });
    workerId = (await app.data(`mutation { hireWorker(input: { name: "Sarah Chen", role: "SDR" }) { ... on Worker { id } } }`)).hireWorker.id;
    await app.data(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
    await app.data(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  const publish = async (type: string, payload: unknown) => (await app.data(PUBLISH, { input: { type, payload } })).publishEvent;
  const triggerTasks = async () =>
    (await app.data(`query ($id: ID!) { node(id: $id) { ... on Trigger { tasks(first: 10) { totalCount edges { node { action input priority status assignee { name } } } } } } }`, { id: triggerId }))
      .node.tasks;
  const deliveries = async () =>
    (await app.data(DELIVERIES, { id: webhookId })).node.deliveries.edges.map((e: { node: Record<string, any> }) => e.node);
  /** Waits until the dispatcher has handed out every stored event (it runs at once for events a trigger or webhook wants, else on its poll). */
  const settled = async () => {
    await eventually(async () => {
      app.app.scheduler.wake('event-dispatch');
      await app.app.scheduler.tick();
      // Every committed event (held back by an open transaction or not) is at or before the cursor.
      const [behind] = await app.app.services.db
        .select({ seq: events.seq })
        .from(events)
        .innerJoin(eventCursors, sql`(${events.txId}, ${events.seq}) > (${eventCursors.lastTxId}, ${eventCursors.lastSeq})`)
        .limit(1);
      return behind ? undefined : true;
    }, undefined, 'the dispatcher');
  };

  it('rejects events that are not an outside system’s to post', async () => {
    expect(await publish('Worker.hired', {})).toEqual({ __typename: 'ValidationError', issues: [{ path: ['type'], message: 'Worker.* events are raised by the server itself' }] });
    const bad = await publish('lead created', [1, 2]);
    expect(bad.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['payload', 'type']);
  });

  it('turns each matching event into exactly one task with mapped input', async () => {
    const trigger = (
      await app.data(
        `mutation ($input: CreateTriggerInput!) { createTrigger(input: $input) { __typename ... on Trigger { id eventType filter inputMapping action priority worker { name } } ... on Error { message } } }`,
        {
          input: {
            eventType: 'Lead.created',
            filter: { source: 'web' },
            workerId,
            action: 'qualify_lead',
            inputMapping: { COMPANY: 'lead.company', EMAIL: 'lead.email' },
            priority: 'HIGH',
          },
        },
      )
    ).createTrigger;
    expect(trigger).toMatchObject({ __typename: 'Trigger', eventType: 'Lead.created', filter: { source: 'web' }, worker: { name: 'Sarah Chen' } });
    triggerId = trigger.id;

    const both = (await app.data(`mutation ($w: ID!, $f: ID!) { createTrigger(input: { eventType: "Lead.created", workerId: $w, fleetId: $f, action: "x" }) { __typename ... on ValidationError { issues { path message } } } }`, {
      w: workerId,
      f: Buffer.from('Fleet:00000000-0000-7000-8000-000000000009').toString('base64'),
    })).createTrigger;
    expect(both).toEqual({ __typename: 'ValidationError', issues: [{ path: ['workerId'], message: 'name exactly one of workerId and fleetId' }] });

    const web = await publish('Lead.created', { source: 'web', lead: { company: 'ACME Corp', email: 'john@acme.com' } });
    expect(web).toMatchObject({ __typename: 'DomainEvent', type: 'Lead.created' });
    await publish('Lead.created', { source: 'email', lead: { company: 'Globex' } });
    await publish('Lead.updated', { source: 'web', lead: { company: 'ACME Corp' } });
    await settled();

    const made = await triggerTasks();
    expect(made).toEqual({
      totalCount: 1,
      edges: [{ node: { action: 'qualify_lead', input: { COMPANY: 'ACME Corp', EMAIL: 'john@acme.com' }, priority: 'HIGH', status: 'ASSIGNED', assignee: { name: 'Sarah Chen' } } }],
    });

    // Replaying the log (as after a crash) with two dispatchers racing makes no second task:
    // (trigger, event) is recorded once.
    await app.app.services.db.update(eventCursors).set({ lastTxId: '0', lastSeq: 0 });
    const deps = { ...app.app.services, interest: new EventInterest(app.app.services) };
    await Promise.all([1, 2].map(() => dispatchEvents(deps, [fireTriggers], clock.now())));
    expect((await triggerTasks()).totalCount).toBe(1);
  });

  it('sends a fleet trigger’s tasks to the fleet queue', async () => {
    const fleet = (await app.data(`mutation { createFleet(input: { name: "Inbound", workerTemplate: { role: "SDR" } }) { ... on Fleet { id } } }`)).createFleet.id;
    const created = (await app.data(`mutation ($f: ID!) { createTrigger(input: { eventType: "Ticket.opened", fleetId: $f, action: "triage" }) { ... on Trigger { id } } }`, { f: fleet })).createTrigger;
    await publish('Ticket.opened', { subject: 'Login broken' });
    await settled();
    const tasks = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Trigger { tasks(first: 5) { edges { node { status input assignee { name } fleet { name } } } } } } }`, { id: created.id }))
      .node.tasks.edges;
    expect(tasks).toEqual([{ node: { status: 'PENDING', input: { subject: 'Login broken' }, assignee: null, fleet: { name: 'Inbound' } } }]);
  });

  it('delivers signed events to a webhook, retrying with backoff until the receiver accepts', async () => {
    const webhook = (
      await app.data(
        `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on Webhook { id url eventTypes } ... on Error { message } } }`,
        { input: { url: receiver.url, secret: SECRET, eventTypes: ['Lead.*', 'Worker.assigned'] } },
      )
    ).createWebhook;
    expect(webhook).toMatchObject({ __typename: 'Webhook', eventTypes: ['Lead.*', 'Worker.assigned'] });
    webhookId = webhook.id;
    const short = (await app.data(`mutation { createWebhook(input: { url: "ftp://x", secret: "short", eventTypes: [] }) { __typename ... on ValidationError { issues { path } } } }`))
      .createWebhook;
    expect(short.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['eventTypes', 'secret', 'url']);

    // The receiver refuses the first attempt at the lead from the web.
    let refused = false;
    answer = (body) => {
      if (body.type === 'Lead.created' && body.payload.source === 'web' && !refused) {
        refused = true;
        return 500;
      }
      return 204;
    };
    const lead = await publish('Lead.created', { source: 'web', lead: { company: 'Initech', email: 'bill@initech.com' } });
    await settled();
    await eventually(async () => ((await deliveries()).length === 2 && (await deliveries()).every((d: { attempts: unknown[] }) => d.attempts.length > 0) ? true : undefined));

    let log = await deliveries();
    const leadDelivery = log.find((d: { eventType: string }) => d.eventType === 'Lead.created');
    expect(leadDelivery).toMatchObject({
      eventSeq: lead.seq,
      status: 'PENDING',
      attempts: [{ statusCode: 500, error: 'HTTP 500' }],
      nextAttemptAt: new Date(clock.now().getTime() + RETRY_DELAYS_SECONDS[0] * 1000).toISOString(),
    });
    expect(log.find((d: { eventType: string }) => d.eventType === 'Worker.assigned')).toMatchObject({ status: 'DELIVERED', attempts: [{ statusCode: 204, error: null }] });

    // Not yet due: nothing is sent.
    clock.advance(RETRY_DELAYS_SECONDS[0] * 1000 - 1);
    await app.app.scheduler.tick();
    expect((await deliveries()).find((d: { eventType: string }) => d.eventType === 'Lead.created').attempts).toHaveLength(1);
    clock.advance(1);
    await app.app.scheduler.tick();
    log = await deliveries();
    expect(log.find((d: { eventType: string }) => d.eventType === 'Lead.created')).toMatchObject({
      status: 'DELIVERED',
      nextAttemptAt: null,
      deliveredAt: clock.now().toISOString(),
      attempts: [{ statusCode: 500 }, { statusCode: 204, error: null }],
    });

    // What arrived: signed, typed, one delivery id per (webhook, event).
    const leads = receiver.received.filter((r) => r.body.type === 'Lead.created');
    expect(leads).toHaveLength(2);
    expect(leads[0]!.body.deliveryId).toBe(leads[1]!.body.deliveryId);
    expect(leads[1]!.body).toMatchObject({ seq: lead.seq, payload: { source: 'web', lead: { company: 'Initech' } } });
    for (const request of receiver.received) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-workforce-event']).toBe(request.body.type);
      expect(verifySignature(SECRET, request.raw, String(request.headers[SIGNATURE_HEADER]), clock.now())).toBe(true);
      expect(verifySignature('another-secret-value', request.raw, String(request.headers[SIGNATURE_HEADER]), clock.now())).toBe(false);
    }
    const assigned = receiver.received.find((r) => r.body.type === 'Worker.assigned')!;
    expect(assigned.body.subjectId).toBe(Buffer.from(workerId, 'base64').toString().split(':')[1]);
  });

  it('gives up after the last retry and keeps every attempt', async () => {
    answer = (body) => (body.type === 'Lead.lost' ? 503 : 204);
    const lost = await publish('Lead.lost', { reason: 'budget' });
    await settled();
    await eventually(async () => ((await deliveries()).find((d: { eventSeq: number }) => d.eventSeq === lost.seq)?.attempts.length === 1 ? true : undefined));
    for (const delay of RETRY_DELAYS_SECONDS) {
      clock.advance(delay * 1000);
      await app.app.scheduler.tick();
    }
    const failed = (await deliveries()).find((d: { eventSeq: number }) => d.eventSeq === lost.seq);
    expect(failed).toMatchObject({ status: 'FAILED', nextAttemptAt: null, deliveredAt: null });
    expect(failed.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual(Array(RETRY_DELAYS_SECONDS.length + 1).fill(503));
  });

  it('redelivers a FAILED delivery on request: one more attempt, the earlier ones kept', async () => {
    const redeliver = (deliveryId: string) =>
      app.data(
        `mutation ($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { __typename ... on Error { message } ... on WebhookDelivery { id status nextAttemptAt } } }`,
        { id: deliveryId },
      );
    const log = await deliveries();
    const failed = log.find((d: { eventType: string; status: string }) => d.eventType === 'Lead.lost' && d.status === 'FAILED');
    const delivered = log.find((d: { status: string }) => d.status === 'DELIVERED');
    expect((await redeliver(delivered.id)).redeliverWebhook).toMatchObject({ __typename: 'InvalidTransitionError', message: expect.stringContaining('only a FAILED delivery') });

    answer = () => 204;
    // The deliverer is woken at once, so the answer may already show its claim or the outcome.
    expect((await redeliver(failed.id)).redeliverWebhook).toMatchObject({ __typename: 'WebhookDelivery', id: failed.id });
    const done = await eventually(async () => {
      await app.app.scheduler.tick();
      const now = (await deliveries()).find((d: { id: string }) => d.id === failed.id);
      return now.status === 'DELIVERED' ? now : undefined;
    }, undefined, 'the redelivery');
    expect(done.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([...Array(RETRY_DELAYS_SECONDS.length + 1).fill(503), 204]);
    const rawId = Buffer.from(failed.id, 'base64').toString().split(':')[1];
    expect(receiver.received.filter((r) => r.body.deliveryId === rawId).at(-1)!.body).toMatchObject({ type: 'Lead.lost', payload: { reason: 'budget' } });
    // Delivered now: not again.
    expect((await redeliver(failed.id)).redeliverWebhook.__typename).toBe('InvalidTransitionError');
  });

  it('never holds up the mutation that raised the event', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    answer = async () => {
      await held;
      return 204;
    };
    const before = receiver.received.length;
    const event = await publish('Lead.created', { source: 'partner' });
    expect(event.__typename).toBe('DomainEvent');
    // The receiver has the request and has not answered; the mutation is long done.
    await eventually(async () => (receiver.received.length > before ? true : undefined));
    const pending = (await deliveries()).find((d: { eventSeq: number }) => d.eventSeq === event.seq);
    expect(pending).toMatchObject({ status: 'PENDING', attempts: [] });
    release();
    await eventually(async () => ((await deliveries()).find((d: { eventSeq: number }) => d.eventSeq === event.seq)?.status === 'DELIVERED' ? true : undefined));
    answer = () => 204;
  });

  it('stops firing and delivering once deleted', async () => {
    const deleted = (await app.data(`mutation ($id: ID!) { deleteTrigger(input: { triggerId: $id }) { __typename ... on Trigger { deletedAt } } }`, { id: triggerId }))
      .deleteTrigger;
    expect(deleted.__typename).toBe('Trigger');
    expect(deleted.deletedAt).not.toBeNull();
    const again = (await app.data(`mutation ($id: ID!) { deleteTrigger(input: { triggerId: $id }) { __typename ... on InvalidTransitionError { from to } } }`, { id: triggerId }))
      .deleteTrigger;
    expect(again).toEqual({ __typename: 'InvalidTransitionError', from: 'DELETED', to: 'DELETED' });
    const gone = (await app.data(`mutation ($id: ID!) { deleteWebhook(input: { webhookId: $id }) { __typename ... on Webhook { deletedAt } } }`, { id: webhookId }))
      .deleteWebhook;
    expect(gone.__typename).toBe('Webhook');

    const count = (await deliveries()).length;
    const made = (await triggerTasks()).totalCount;
    expect(made).toBe(2); // ACME Corp and Initech
    await publish('Lead.created', { source: 'web', lead: { company: 'Umbrella' } });
    await settled();
    expect((await triggerTasks()).totalCount).toBe(made);
    expect(await deliveries()).toHaveLength(count);
    expect((await app.data(`{ triggers { edges { node { eventType } } } webhooks { totalCount } }`))).toEqual({
      triggers: { edges: [{ node: { eventType: 'Ticket.opened' } }] },
      webhooks: { totalCount: 0 },
    });
  });

  it('streams stored and then live events, filtered by type, gap-free', async () => {
    const first = await publish('Deal.won', { amount: 1 });
    await publish('Deal.lost', { amount: 2 });
    const client = app.wsClient();
    const seen: Array<{ seq: number; type: string; payload: { amount: number } }> = [];
    const done = (async () => {
      for await (const result of client.iterate({
        query: `subscription ($after: Int) { events(types: ["Deal.won"], after: $after) { seq type payload } }`,
        variables: { after: first.seq - 1 },
      })) {
        seen.push((result.data as { events: (typeof seen)[number] }).events);
        if (seen.length === 3) return;
      }
    })();
    await eventually(async () => (seen.length === 1 ? true : undefined));
    await publish('Deal.won', { amount: 3 });
    await publish('Deal.lost', { amount: 4 });
    await publish('Deal.won', { amount: 5 });
    await done;
    expect(seen.map((e) => [e.type, e.payload.amount])).toEqual([
      ['Deal.won', 1],
      ['Deal.won', 3],
      ['Deal.won', 5],
    ]);
    expect(seen[0]!.seq).toBe(first.seq);
  });
});

