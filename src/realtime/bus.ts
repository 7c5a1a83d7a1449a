/**
 * The event bus: typed topics carrying identifiers and small deltas only, published after
 * the transaction that stored the change committed; listeners read the rows themselves.
 *
 * Messages are wake-ups, not a queue: {@link Bus.listen} calls a listener synchronously
 * for each message and keeps nothing, so a slow consumer can never make the bus buffer.
 * Streams that need "what did I miss" keep a cursor and read the store (see wake-up.ts).
 * A listener that throws is logged and the others still run.
 *
 * Which engine carries it (chosen by {@link createBus}; docs/architecture.md "Realtime: wake-ups, shared reads, slow consumers, several processes"):
 * - REDIS_URL set: Redis pub/sub (@graphql-yoga/redis-event-target);
 * - else DATABASE_URL set: PostgreSQL LISTEN/NOTIFY on the same server ({@link postgresBus}),
 *   so that several processes on one database hear each other without anything else;
 * - else (PGlite, one process): an in-memory EventTarget.
 */
import { randomUUID } from 'node:crypto';

import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { CustomEvent } from '@whatwg-node/events';
import { Redis } from 'ioredis';
import postgres from 'postgres';

import type { Logger } from '../logger.js';

/** Topic name → published arguments (first element: the topic's key when it has one). */
export type Topics = {
  /**
   * New events of run `runId` were stored, up to and including `lastSeq`; `ended`: the run
   * reached a final status with that commit, so `lastSeq` is its last event.
   */
  'run:events': [runId: string, change: { lastSeq: number; ended: boolean }];
  /** A domain event was appended to the outbox of `organizationId`. */
  'domain:event': [organizationId: string, event: { seq: number; type: string; subjectId: string | null }];
  /** The same, for in-process consumers of every organisation (event dispatcher, work runner). */
  'domain:appended': [event: { organizationId: string; seq: number; type: string; subjectId: string | null }];
  /** Something about fleet `fleetId` changed (its workers or tasks): the event's type. */
  'fleet:changed': [fleetId: string, change: { type: string }];
  /** API key `keyId` was revoked or changed: every process drops it from its cache. */
  'apiKey:changed': [change: { keyId: string }];
  /** The triggers or webhooks of an organisation changed: every process drops its cached interest (events/interest.ts). */
  'events:interest': [change: { organizationId: string }];
  /**
   * This process may have missed other processes' messages (the bus's LISTEN connection
   * was re-established): dispatched by the bus itself, to this process only. Streams that
   * read the store wake up and read from their cursor (wake-up.ts).
   */
  'bus:resync': [change: { reason: string }];
};

export type TopicName = keyof Topics;
/** The key of a keyed topic (`run:events` → runId), or never for an unkeyed one. */
type KeyedArgs<T extends TopicName> = Topics[T] extends [infer K extends string, infer P] ? [key: K, payload: P] : never;
/** The payload of a topic's messages. */
export type TopicPayload<T extends TopicName> = Topics[T] extends [string, infer P] ? P : Topics[T][0];
/** What identifies one stream of a topic: the key for keyed topics, nothing otherwise. */
export type TopicKey<T extends TopicName> = Topics[T] extends [string, unknown] ? [key: string] : [];

/** A message prepared before the statement that stores its change (see {@link Bus.prepare}). */
export interface PreparedMessage {
  /**
   * Set when the bus runs over PostgreSQL LISTEN/NOTIFY on the writer's database: the
   * statement storing the change must evaluate `pg_notify(channel, payload)` once, and only
   * where it stores the change. PostgreSQL delivers the notification to the other processes
   * when that transaction commits and drops it on rollback, so the message costs no
   * statement of its own.
   */
  notify?: { channel: string; payload: string };
  /**
   * After the commit: delivers the message to this process's listeners, and to the other
   * processes too unless `notify` went with the statement.
   */
  publish(): void;
}

export interface Bus {
  /** Sends a message to every listener of the topic (and key), in every process. */
  publish<T extends TopicName>(topic: T, ...args: Topics[T]): void;
  /**
   * Prepares a message for a change not yet committed: send `notify` (when set) with the
   * statement that stores the change, then call `publish()` after the commit.
   */
  prepare<T extends TopicName>(topic: T, ...args: Topics[T]): PreparedMessage;
  /**
   * Calls `listener` with each message of `topic` (and `key`) until the returned function
   * is called. The listener runs synchronously and must not block; it is never queued.
   */
  listen<T extends TopicName>(topic: T, ...rest: [...TopicKey<T>, listener: (payload: TopicPayload<T>) => void]): () => void;
}

/** A bus and how to release what it holds (Redis connections). */
export interface BusHandle {
  bus: Bus;
  /** `memory`, `postgres (LISTEN/NOTIFY)` or `redis (host:port)`, for the start-up log; never contains a password. */
  description: string;
  close(): Promise<void>;
}

type Target = TypedEventTarget<CustomEvent<unknown>>;

/** The EventTarget event of a message: its name (topic, and key when keyed) and detail (payload). */
function eventOf(topic: TopicName, args: unknown[]): [name: string, detail: unknown] {
  return args.length === 2 ? [`${topic}:${String(args[0])}`, args[1]] : [topic, args[0]];
}

/**
 * A {@link Bus} over an EventTarget (in memory, Redis or PostgreSQL); `prepare` defaults to
 * publishing after the commit.
 */
export function busOver(target: Target, logger?: Logger, prepare?: Bus['prepare']): Bus {
  const publish = (topic: TopicName, ...args: unknown[]) => {
    const [name, detail] = eventOf(topic, args);
    target.dispatchEvent(new CustomEvent(name, { detail }));
  };
  return {
    publish,
    prepare: prepare ?? ((topic: TopicName, ...args: unknown[]) => ({ publish: () => publish(topic, ...args) })),
    listen(topic: TopicName, ...rest: unknown[]) {
      const listener = rest.at(-1) as (payload: unknown) => void;
      const name = rest.length === 2 ? `${topic}:${String(rest[0])}` : topic;
      const callback = (event: CustomEvent<unknown>) => {
        try {
          listener(event.detail);
        } catch (error) {
          logger?.error({ err: error, topic }, 'bus listener failed');
        }
      };
      target.addEventListener(name, callback);
      return () => target.removeEventListener(name, callback);
    },
  } as Bus;
}

/**
 * Creates the bus: over Redis when `redisUrl` is given, else over PostgreSQL LISTEN/NOTIFY
 * when `databaseUrl` is given, else in memory. Resolves once the bus is listening, so that
 * nothing published by another process after start-up is missed.
 * @throws when PostgreSQL refuses the LISTEN connection
 */
export async function createBus(
  options: { redisUrl?: string | undefined; databaseUrl?: string | undefined; logger?: Logger } = {},
): Promise<BusHandle> {
  if (options.redisUrl) return redisBus(options.redisUrl, options.logger);
  if (options.databaseUrl) return postgresBus(options.databaseUrl, options.logger);
  return { bus: busOver(new EventTarget() as unknown as Target, options.logger), description: 'memory', close: async () => {} };
}

/** Redis needs two connections: a subscribing connection can do nothing else. */
function redisBus(redisUrl: string, logger: Logger | undefined): BusHandle {
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const target = new URL(redisUrl);
  return {
    bus: busOver(createRedisEventTarget({ publishClient, subscribeClient }), logger),
    description: `redis (${target.hostname}:${target.port || 6379})`,
    async close() {
      await Promise.all([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

/** The one NOTIFY channel of the bus; the topic (and key) travels inside the payload. */
export const NOTIFY_CHANNEL = 'workforce_bus';

/**
 * PostgreSQL's limit on a NOTIFY payload is 8000 bytes; messages published in one turn of
 * the event loop (until `setImmediate`: e.g. the domain events of several transactions
 * whose commits were read in that turn) are sent together in as few notifications as fit
 * under this many bytes.
 */
const NOTIFY_PAYLOAD_BYTES = 7_500;

/** One notification: the sending process (`o`) and its messages as [event name, detail]. */
interface Notification {
  o: string;
  m: Array<[name: string, detail: unknown]>;
}

/**
 * The bus over PostgreSQL LISTEN/NOTIFY, on a client of its own (postgres.js: one
 * connection for NOTIFY, one dedicated to LISTEN, re-established by postgres.js after a
 * loss). A message reaches this process's listeners at once and the other processes
 * through one channel, {@link NOTIFY_CHANNEL}; a process ignores its own notifications.
 * Messages are identifiers and small deltas, so a notification stays far below the
 * 8000-byte limit; one that would not fit alone is dropped and logged. PostgreSQL delivers
 * notifications in commit order and only while the LISTEN connection is up: what was sent
 * while it reconnects is lost, so once it is back the bus dispatches `bus:resync` here and
 * every stream reads the store from its cursor.
 */
async function postgresBus(databaseUrl: string, logger: Logger | undefined): Promise<BusHandle> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const local = new EventTarget() as unknown as Target;
  const origin = randomUUID();
  let outgoing: Notification['m'] = [];
  const send = () => {
    const messages = outgoing;
    outgoing = [];
    for (const payload of notificationsOf(origin, messages, logger)) {
      sql.notify(NOTIFY_CHANNEL, payload).catch((error: unknown) => logger?.warn({ err: error }, 'bus: NOTIFY failed; other processes miss this wake-up'));
    }
  };
  const target: Target = {
    addEventListener: (name, listener) => local.addEventListener(name, listener),
    removeEventListener: (name, listener) => local.removeEventListener(name, listener),
    dispatchEvent(event) {
      if (outgoing.length === 0) setImmediate(send);
      outgoing.push([event.type, event.detail]);
      return local.dispatchEvent(event);
    },
  };
  let connections = 0;
  try {
    await sql.listen(
      NOTIFY_CHANNEL,
      (payload) => {
        let notification: Notification;
        try {
          notification = JSON.parse(payload) as Notification;
        } catch (error) {
          logger?.warn({ err: error }, 'bus: unreadable notification ignored');
          return;
        }
        if (notification.o === origin) return;
        for (const [name, detail] of notification.m) local.dispatchEvent(new CustomEvent(name, { detail }));
      },
      () => {
        connections += 1;
        if (connections === 1) return;
        logger?.warn('bus: LISTEN connection re-established; every stream reads what it may have missed');
        local.dispatchEvent(new CustomEvent('bus:resync', { detail: { reason: 'LISTEN connection re-established' } }));
      },
    );
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
  // A message whose notification goes with the storing statement reaches this process's
  // listeners directly after the commit; one too large for NOTIFY is published as usual.
  const prepare = (topic: TopicName, ...args: unknown[]): PreparedMessage => {
    const [name, detail] = eventOf(topic, args);
    const [payload, more] = notificationsOf(origin, [[name, detail]], undefined);
    if (payload === undefined || more !== undefined) return { publish: () => target.dispatchEvent(new CustomEvent(name, { detail })) };
    return { notify: { channel: NOTIFY_CHANNEL, payload }, publish: () => local.dispatchEvent(new CustomEvent(name, { detail })) };
  };
  return {
    bus: busOver(target, logger, prepare as Bus['prepare']),
    description: 'postgres (LISTEN/NOTIFY)',
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Packs `messages` into notification payloads of at most {@link NOTIFY_PAYLOAD_BYTES} bytes. */
function notificationsOf(origin: string, messages: Notification['m'], logger: Logger | undefined): string[] {
  const payloads: string[] = [];
  const envelope = Buffer.byteLength(JSON.stringify({ o: origin, m: [] }));
  let batch: string[] = [];
  let bytes = envelope;
  const flush = () => {
    if (batch.length > 0) payloads.push(`{"o":${JSON.stringify(origin)},"m":[${batch.join(',')}]}`);
    batch = [];
    bytes = envelope;
  };
  for (const message of messages) {
    const text = JSON.stringify(message);
    const size = Buffer.byteLength(text) + 1;
    if (envelope + size > NOTIFY_PAYLOAD_BYTES) {
      logger?.error({ topic: message[0], bytes: size }, 'bus: message too large for NOTIFY; not sent to other processes');
      continue;
    }
    if (bytes + size > NOTIFY_PAYLOAD_BYTES) flush();
    batch.push(text);
    bytes += size;
  }
  flush();
  return payloads;
}
