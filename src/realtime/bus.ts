/**
 * The event bus: graphql-yoga's typed pub/sub. Topics carry identifiers and small deltas
 * only, published after the transaction that stored the change committed; subscribers
 * read the rows themselves (DESIGN.md "Realtime and scale-out"). In one process the bus
 * is in memory; with REDIS_URL it is carried by Redis (@graphql-yoga/redis-event-target),
 * so that a subscriber on one process hears of changes committed by another.
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

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
};

export type Bus = PubSub<Topics>;

/** A bus and how to release what it holds (Redis connections). */
export interface BusHandle {
  bus: Bus;
  /** `memory` or `redis (host:port)`, for the start-up log; never contains a password. */
  description: string;
  close(): Promise<void>;
}

/**
 * Creates the bus: over Redis when `redisUrl` is given, else in memory.
 * Redis needs two connections: a subscribing connection can do nothing else.
 */
export function createBus(options: { redisUrl?: string | undefined } = {}): BusHandle {
  if (!options.redisUrl) return { bus: createPubSub<Topics>(), description: 'memory', close: async () => {} };
  const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const target = new URL(options.redisUrl);
  return {
    bus: createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) }),
    description: `redis (${target.hostname}:${target.port || 6379})`,
    async close() {
      await Promise.all([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
