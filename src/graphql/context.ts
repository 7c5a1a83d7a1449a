/**
 * What every resolver receives. Services are created once at start-up (src/app.ts); the
 * actor is per request. Resolvers pass these on to domain services and add nothing.
 */
import type { AccessControl } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Database } from '../db/client.js';
import type { FleetRuntime } from '../fleets/core/runtime.js';
import type { ModelRegistry } from '../models/registry.js';
import type { Mailer } from '../net/mailer.js';
import type { Bus } from '../realtime/bus.js';
import type { SharedReads } from '../realtime/shared-reads.js';
import type { RunExecutor } from '../runs/executor.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../scheduler/clock.js';

/** Long-lived services shared by all requests. */
export interface AppServices {
  db: Database;
  bus: Bus;
  models: ModelRegistry;
  runs: RunExecutor;
  logger: Logger;
  /** Who may call; told when keys change. */
  access: AccessControl;
  /** The time source of schedules and webhooks (a fake one in tests). */
  clock: Clock;
  /** Fleet queues, retirements and the live fleet status. */
  fleets: FleetRuntime;
  /** Subscription streams' reads, shared between watchers of the same stream woken by the same change. */
  reads: SharedReads;
  /** Outgoing e-mail of alert channels; undefined when `SMTP_URL` is not set. */
  mailer: Mailer | undefined;
}

export type { Actor };

export interface AppContext extends AppServices {
  actor: Actor;
  /** Aborts when the client of an HTTP request goes away (absent over graphql-ws, whose socket ends its subscriptions itself). */
  signal?: AbortSignal;
}
