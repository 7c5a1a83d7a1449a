/**
 * Which event types anything acts on after the fact: per organisation, the types its
 * live triggers fire on and the patterns of its live webhooks. The event dispatcher
 * asks this instead of selecting triggers and webhooks for every event, and the
 * scheduler wakes the dispatcher only for events somebody wants, so an organisation
 * without triggers or webhooks costs no query per event.
 *
 * Cached per organisation (one query on first use); an entry is dropped when this or
 * another process changes the organisation's triggers or webhooks (the
 * `events:interest` bus topic, published after the change commits) and in any case
 * after {@link INTEREST_TTL_MS}, which bounds staleness where the bus does not reach
 * other processes.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';

import type { Executor } from '../db/client.js';
import { triggers, webhooks } from '../db/schema.js';
import type { Bus } from '../realtime/bus.js';

/** How long an organisation's interest is trusted without a change message, in ms. */
export const INTEREST_TTL_MS = 60_000;

/** Whether a webhook's `pattern` (exact type, `Subject.*` or `*`) matches `type`. */
export function matchesEventType(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** What one organisation's live triggers and webhooks want. */
export interface OrganizationInterest {
  /** Event types some live trigger fires on. */
  triggerTypes: ReadonlySet<string>;
  /** Patterns of the live webhooks (see {@link matchesEventType}). */
  webhookPatterns: readonly string[];
}

/** Whether any trigger or webhook of `interest` wants events of `type`. */
export function wants(interest: OrganizationInterest, type: string): boolean {
  return interest.triggerTypes.has(type) || interest.webhookPatterns.some((pattern) => matchesEventType(pattern, type));
}

/** The per-organisation cache; one per process. */
export class EventInterest {
  private readonly entries = new Map<string, { interest: Promise<OrganizationInterest>; loadedAt: number }>();
  private readonly unlisten: () => void;

  constructor(private readonly deps: { db: Executor; bus: Bus }) {
    this.unlisten = deps.bus.listen('events:interest', ({ organizationId }) => this.entries.delete(organizationId));
  }

  /**
   * The interest of `organizationId`, read with `executor` (default: the database; a
   * transaction must pass itself) when not cached.
   */
  of(organizationId: string, executor: Executor = this.deps.db): Promise<OrganizationInterest> {
    const cached = this.entries.get(organizationId);
    if (cached && Date.now() - cached.loadedAt < INTEREST_TTL_MS) return cached.interest;
    const interest = load(executor, organizationId);
    const entry = { interest, loadedAt: Date.now() };
    this.entries.set(organizationId, entry);
    interest.catch(() => {
      if (this.entries.get(organizationId) === entry) this.entries.delete(organizationId);
    });
    return interest;
  }

  /** Stops listening for changes. */
  close(): void {
    this.unlisten();
  }
}

/**
 * Tells every process that the triggers or webhooks of `organizationId` changed; call
 * after the change committed.
 */
export function interestChanged(bus: Bus, organizationId: string): void {
  bus.publish('events:interest', { organizationId });
}

async function load(executor: Executor, organizationId: string): Promise<OrganizationInterest> {
  const rows = await executor
    .select({ kind: sql<'trigger' | 'webhook'>`'trigger'`.as('kind'), pattern: sql<string>`${triggers.eventType}`.as('pattern') })
    .from(triggers)
    .where(and(eq(triggers.organizationId, organizationId), isNull(triggers.deletedAt)))
    .unionAll(
      executor
        .select({ kind: sql<'trigger' | 'webhook'>`'webhook'`.as('kind'), pattern: sql<string>`unnest(${webhooks.eventTypes})`.as('pattern') })
        .from(webhooks)
        .where(and(eq(webhooks.organizationId, organizationId), isNull(webhooks.deletedAt))),
    );
  return {
    triggerTypes: new Set(rows.filter((row) => row.kind === 'trigger').map((row) => row.pattern)),
    webhookPatterns: rows.filter((row) => row.kind === 'webhook').map((row) => row.pattern),
  };
}
