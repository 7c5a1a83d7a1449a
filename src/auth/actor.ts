/** Who is calling: the organisation and role an API key (or open local access) grants. */

/** Roles, strongest first: admins manage keys, protocols and fleet policies; operators run work; viewers read; worker keys act as one worker. */
export type Role = 'admin' | 'operator' | 'viewer' | 'worker';

export interface Actor {
  organizationId: string;
  role: Role;
  /** The key used, or null for open local access (loopback, no key configured). */
  apiKeyId: string | null;
  /** For worker keys: the worker the caller acts as. */
  workerId: string | null;
  /** When the key stops working (null: never, or open local access); sockets are closed then. */
  keyExpiresAt: Date | null;
  /** For logs and the audit log: never the secret. */
  label: string;
}

/**
 * The part of an actor that resolvers read — its organisation, its role, and for a worker
 * key its worker — as one string. Two actors with the same scope are shown the same data,
 * so a result executed for one may be handed to the other (src/graphql/shared-execution.ts).
 * A resolver that starts to read anything else of the actor must add it here.
 */
export function resultScope(actor: Actor): string {
  return JSON.stringify([actor.organizationId, actor.role, actor.workerId]);
}
