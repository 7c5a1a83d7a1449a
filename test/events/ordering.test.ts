/**
 * Ordering of domain events without a lock on the write path: readers return events in
 * position order (transaction ID, then seq) and only those no transaction in flight can
 * precede, so `after:` readers stay gap-free while writers commit concurrently.
 *
 * The tests with two transactions open at once need PostgreSQL (PGlite has one
 * connection and runs transactions one after another); they run on the DATABASE_URL leg.
 */
import { decodeGlobalID } from '@pothos/plugin-relay';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Database } from '../../src/db/client.js';
import { DEFAULT_ORGANIZATION_ID, workers } from '../../src/db/schema.js';
import { listDomainEvents, streamDomainEvents, type DomainEventRow } from '../../src/events/domain-events.js';
import { transactionWithEvents, type Outbox } from '../../src/events/outbox.js';
import { positionOf, startPosition } from '../../src/events/positions.js';
import type { Bus } from '../../src/realtime/bus.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, createTestDatabase, type TestApp } from '../support/test-app.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const organizationId = DEFAULT_ORGANIZATION_ID;

/** A promise and the function that resolves it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * `db` with a count of the reads of the log built on it, to wait (without timing) until a
 * stream has read the store: each statement of a reader (a page, a start position)
 * begins with the horizon, `db.with(…)`.
 */
function counted(db: Database): { db: Database; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'with') reads += 1;
      return Reflect.get(target, property, receiver);
    },
  });
  return { db: proxy, reads: () => reads };
}

/** Resolves once `count` reads in all were built on `reads`. */
function readsBuilt(reads: ReturnType<typeof counted>, count: number): Promise<true> {
  return eventually(async () => (reads.reads() >= count ? true : undefined), 30_000, `${count} reads`);
}

/** A transaction with an outbox that stays open until `release()` is called. */
function openTransaction(
  deps: { db: Database; bus: Bus },
  work: (tx: Parameters<Parameters<typeof transactionWithEvents>[1]>[0], outbox: Outbox) => Promise<void>,
) {
  const ready = deferred();
  const gate = deferred();
  const committed = transactionWithEvents(deps, async (tx, outbox) => {
    await work(tx, outbox);
    ready.resolve();
    await gate.promise;
  });
  return { ready: ready.promise, release: gate.resolve, committed };
}

/** The next `count` events of `stream`. */
async function take(stream: AsyncGenerator<DomainEventRow>, count: number): Promise<DomainEventRow[]> {
  const taken: DomainEventRow[] = [];
  while (taken.length < count) {
    const next = await stream.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

describe('domain-event ordering', () => {
  let app: TestApp;
  let deps: { db: Database; bus: Bus };

  beforeAll(async () => {
    app = await createTestApp();
    deps = app.app.services;
  });
  afterAll(() => app.close());

  /** Appends one event of `type` in a transaction of its own; resolves with its seq. */
  const append = (type: string, payload: Record<string, unknown> = {}) =>
    transactionWithEvents(deps, (_tx, outbox) => outbox.append({ organizationId, type, payload }));

  it('resumes after a stored seq, after a seq that is not stored, from 0, or live', async () => {
    const types = ['Order.placed'];
    const first = await append('Order.placed', { n: 1 });
    const second = await append('Order.placed', { n: 2 });
    const rolledBack = await transactionWithEvents(deps, async (_tx, outbox) => {
      const seq = await outbox.append({ organizationId, type: 'Order.placed', payload: { n: 'never' } });
      throw Object.assign(new Error('rolled back'), { seq });
    }).catch((error: { seq: number }) => error.seq);
    const third = await append('Order.placed', { n: 3 });
    expect(rolledBack).toBeGreaterThan(second);

    const payloads = async (after: number | null, count: number) => {
      const stream = streamDomainEvents(deps, { organizationId, types }, after);
      try {
        return (await take(stream, count)).map((event) => event.payload.n);
      } finally {
        await stream.return(undefined);
      }
    };
    expect(await payloads(0, 3)).toEqual([1, 2, 3]);
    expect(await payloads(first, 2)).toEqual([2, 3]);
    expect(await payloads(rolledBack, 1)).toEqual([3]);

    // Without `after`, and after a seq not taken yet: only what is appended from now on.
    for (const after of [null, third + 1000]) {
      const reads = counted(deps.db);
      const stream = streamDomainEvents({ db: reads.db, bus: deps.bus }, { organizationId, types }, after);
      const next = stream.next();
      await readsBuilt(reads, 2); // the start position, then a first read
      await append('Order.placed', { n: `live after ${after}` });
      expect((await next).value?.payload.n).toBe(`live after ${after}`);
      await stream.return(undefined);
    }
  });

  it.skipIf(!onPostgres).each([
    ['appended its event first', true],
    ['appended its event last', false],
  ])('does not skip the event of a transaction that took its ID first and %s', async (_name, olderAppendsFirst) => {
    const types = [`Ledger.${olderAppendsFirst ? 'early' : 'late'}`];
    const [type] = types as [string];
    const reads = counted(deps.db);
    const stream = streamDomainEvents({ db: reads.db, bus: deps.bus }, { organizationId, types }, 0);
    let arrivedEarly = false;
    const firstArrival = stream.next().then((next) => ((arrivedEarly = true), next));

    // The older transaction takes its ID (as its first write would), then stays open.
    const gate = deferred();
    const hasId = deferred();
    let olderSeq = 0;
    const older = transactionWithEvents(deps, async (tx, outbox) => {
      await tx.execute(sql`select pg_current_xact_id()`);
      if (olderAppendsFirst) olderSeq = await outbox.append({ organizationId, type, payload: { by: 'older' } });
      hasId.resolve();
      await gate.promise;
      if (!olderAppendsFirst) olderSeq = await outbox.append({ organizationId, type, payload: { by: 'older' } });
    });
    await hasId.promise;
    const youngerSeq = await append(type, { by: 'younger' });
    const readsAtCommit = reads.reads();

    // The younger event is committed but held back: the older transaction could still
    // append before it.
    const page = await listDomainEvents(deps.db, { organizationId, types }, await startPosition(deps.db, 0));
    expect(page).toMatchObject({ events: [], heldBack: true });
    await readsBuilt(reads, readsAtCommit + 2); // the stream read the log after the commit, at least once
    expect(arrivedEarly).toBe(false);

    gate.resolve();
    await older;
    expect(olderAppendsFirst ? olderSeq < youngerSeq : olderSeq > youngerSeq).toBe(true);
    const arrived = [(await firstArrival).value!, ...(await take(stream, 1))];
    expect(arrived.map((event) => [event.seq, event.payload.by])).toEqual([
      [olderSeq, 'older'],
      [youngerSeq, 'younger'],
    ]);

    // Each once: the next event after both is a new one.
    const sentinel = await append(type, { by: 'sentinel' });
    expect((await take(stream, 1)).map((event) => event.seq)).toEqual([sentinel]);
    await stream.return(undefined);
  });

  it.skipIf(!onPostgres)('reads again when an older transaction ends without publishing anything', async () => {
    const types = ['Ledger.quiet'];
    const reads = counted(deps.db);
    const stream = streamDomainEvents({ db: reads.db, bus: deps.bus }, { organizationId, types }, null);
    const arrival = stream.next();
    await readsBuilt(reads, 2);

    // A transaction with an ID that appends no event: its commit sends no wake-up.
    const quiet = deferred();
    const hasId = deferred();
    const silent = deps.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_current_xact_id()`);
      hasId.resolve();
      await quiet.promise;
    });
    await hasId.promise;
    const seq = await append('Ledger.quiet', { n: 1 });
    expect((await listDomainEvents(deps.db, { organizationId, types }, await startPosition(deps.db, 0))).heldBack).toBe(true);

    quiet.resolve();
    await silent;
    expect((await arrival).value?.seq).toBe(seq);
    await stream.return(undefined);
  });

  it.skipIf(!onPostgres)('is not held back by a transaction of another database on the same server, only by those of its own', async () => {
    const types = ['Ledger.neighbour'];
    // Another database on the same server, with a transaction that takes an ID and stays open.
    const neighbour = await createTestDatabase();
    const client = postgres(neighbour.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const hasId = deferred<string>();
    const gate = deferred();
    const neighbourTransaction = client.begin(async (tx) => {
      const [row] = await tx<[{ id: string }]>`select pg_current_xact_id()::text as id`;
      hasId.resolve(row.id);
      await gate.promise;
    });
    try {
      const neighbourId = await hasId.promise;
      const seq = await append('Ledger.neighbour', { n: 1 });
      const first = await eventually(
        async () => (await listDomainEvents(deps.db, { organizationId, types }, await startPosition(deps.db, 0))).events[0],
        20_000,
        'the event while another database’s transaction is open',
      );
      expect(first.seq).toBe(seq);
      // The whole server's oldest transaction would have held it back: the neighbour took its ID first.
      expect(BigInt(first.txId)).toBeGreaterThan(BigInt(neighbourId));

      // A transaction of this database that took its ID first still holds later events back.
      const ours = openTransaction(deps, async (tx) => {
        await tx.execute(sql`select pg_current_xact_id()`);
      });
      await ours.ready;
      const later = await append('Ledger.neighbour', { n: 2 });
      expect(await listDomainEvents(deps.db, { organizationId, types }, positionOf(first))).toMatchObject({ events: [], heldBack: true });
      ours.release();
      await ours.committed;
      const next = await eventually(async () => (await listDomainEvents(deps.db, { organizationId, types }, positionOf(first))).events[0], 20_000, 'the later event');
      expect(next.seq).toBe(later);
    } finally {
      gate.resolve();
      await neighbourTransaction;
      await client.end();
      await neighbour.drop();
    }
  });

  it.skipIf(!onPostgres)('lets writers to different workers commit while the other is open; Worker.events waits for both', async () => {
    const hire = async (name: string) =>
      (await app.data(`mutation ($name: String!) { hireWorker(input: { name: $name, role: "SDR" }) { ... on Worker { id } } }`, { name })).hireWorker.id as string;
    const workerA = await hire('Ada');
    const rowA = decodeGlobalID(workerA).id;

    // Worker A changes in a transaction that appended its event and stays open …
    const writerA = openTransaction(deps, async (tx, outbox) => {
      await tx.update(workers).set({ availability: 'BUSY' }).where(eq(workers.id, rowA));
      await outbox.append({ organizationId, type: 'Worker.availability.changed', subjectId: rowA, payload: { from: 'OFFLINE', to: 'BUSY' } });
    });
    await writerA.ready;

    // … while worker B is hired and committed (with the old global lock this never returned).
    const workerB = await hire('Bea');
    const eventsOf = async (id: string) =>
      (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { events(first: 10) { totalCount edges { node { type } } } } } }`, { id })).node.events;
    // B's event is committed but held back behind A's open transaction.
    expect(await eventsOf(workerB)).toEqual({ totalCount: 0, edges: [] });

    writerA.release();
    await writerA.committed;
    await eventually(async () => ((await eventsOf(workerB)).totalCount === 1 ? true : undefined));
    expect((await eventsOf(workerB)).edges).toEqual([{ node: { type: 'Worker.hired' } }]);
    expect((await eventsOf(workerA)).edges.map((edge: { node: { type: string } }) => edge.node.type)).toEqual(['Worker.hired', 'Worker.availability.changed']);
  });
});
