/**
 * The event bus: graphql-yoga's typed pub/sub. Topics carry identifiers and small deltas
 * only, published after the transaction that stored the change committed; subscribers
 * read the rows themselves (DESIGN.md "Realtime and scale-out").
 */
import { createPubSub, type PubSub } from 'graphql-yoga';

/** Topic name → published arguments (first element: the topic's key when it has one). */
export type Topics = {
  /** New events of run `runId` were stored, up to and including `lastSeq`. */
  'run:events': [runId: string, change: { lastSeq: number }];
  /** A domain event was appended to the outbox of `organizationId`. */
  'domain:event': [organizationId: string, event: { seq: number; type: string; subjectId: string | null }];
  /** The same, for in-process consumers of every organisation (event dispatcher, work runner). */
  'domain:appended': [event: { organizationId: string; seq: number; type: string; subjectId: string | null }];
};

export type Bus = PubSub<Topics>;

/** Creates an in-process bus. */
export function createBus(): Bus {
  return createPubSub<Topics>();
}
