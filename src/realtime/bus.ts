/**
 * The event bus: typed topics carrying identifiers and small deltas only, published after
 * the transaction that stored the change committed; listeners read the rows themselves.
 *
 * Messages are wake-ups, not a queue: {@link Bus.listen} calls a listener synchronously
 * for each message and keeps nothing, so a slow consumer can never make the bus buffer.
 * Streams that need "what did I miss" keep a cursor and read the store (see wake-up.ts).
 * A listener that throws is logged and the others still run.
 *
 * In one process the bus is an in-memory EventTarget; with REDIS_URL it is carried by
 * Redis (@graphql-yoga/redis-event-target), so that a listener on one process hears of
 * changes committed by another.
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { CustomEvent } from '@whatwg-node/events';
import { Redis } from 'ioredis';

import type { Logger } from '../logger.js';

/** Topic name → published arguments (first element: the topic's key when it has one). */
export type Topics = {
  /** New events of run `runId` were stored, up to and including `lastSeq`. */
  'run:events': [runId: string, change: { lastSeq: number }];
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
};

export type TopicName = keyof Topics;
/** The key of a keyed topic (`run:events` → runId), or never for an unkeyed one. */
type KeyedArgs<T extends TopicName> = Topics[T] extends [infer K extends string, infer P] ? [key: K, payload: P] : never;
/** The payload of a topic's messages. */
export type TopicPayload<T extends TopicName> = Topics[T] extends [string, infer P] ? P : Topics[T][0];
/** What identifies one stream of a topic: the key for keyed topics, nothing otherwise. */
export type TopicKey<T extends TopicName> = Topics[T] extends [string, unknown] ? [key: string] : [];

export interface Bus {
  /** Sends a message to every listener of the topic (and key), in every process. */
  publish<T extends TopicName>(topic: T, ...args: Topics[T]): void;
  /**
   * Calls `listener` with each message of `topic` (and `key`) until the returned function
   * is called. The listener runs synchronously and must not block; it is never queued.
   */
  listen<T extends TopicName>(topic: T, ...rest: [...TopicKey<T>, listener: (payload: TopicPayload<T>) => void]): () => void;
}

/** A bus and how to release what it holds (Redis connections). */
export interface BusHandle {
  bus: Bus;
  /** `memory` or `redis (host:port)`, for the start-up log; never contains a password. */
  description: string;
  close(): Promise<void>;
}

type Target = TypedEventTarget<CustomEvent<unknown>>;

/** A {@link Bus} over an EventTarget (in memory, Redis or PostgreSQL). */
export function busOver(target: Target, logger?: Logger): Bus {
  return {
    publish(topic: TopicName, ...args: unknown[]) {
      const [name, detail] = args.length === 2 ? [`${topic}:${String(args[0])}`, args[1]] : [topic, args[0]];
      target.dispatchEvent(new CustomEvent(name, { detail }));
    },
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
 * Creates the bus: over Redis when `redisUrl` is given, else in memory.
 * Redis needs two connections: a subscribing connection can do nothing else.
 */
export function createBus(options: { redisUrl?: string | undefined; logger?: Logger } = {}): BusHandle {
  if (!options.redisUrl) {
    return { bus: busOver(new EventTarget() as unknown as Target, options.logger), description: 'memory', close: async () => {} };
  }
  const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const target = new URL(options.redisUrl);
  return {
    bus: busOver(createRedisEventTarget({ publishClient, subscribeClient }), options.logger),
    description: `redis (${target.hostname}:${target.port || 6379})`,
    async close() {
      await Promise.all([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
