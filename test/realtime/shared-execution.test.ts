/**
 * Subscription events executed once per scope (src/graphql/shared-execution.ts): every
 * subscriber handed the same event object gets the result a subscriber of its own would
 * get, subscribers of different organisations or roles never get each other's, and an
 * event is executed once per scope, not once per subscriber.
 */
import { execute, parse, type ExecutionResult } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';

import { resultScope, type Actor } from '../../src/auth/actor.js';
import { useSharedExecution } from '../../src/graphql/shared-execution.js';

let keys = 0;
/** An actor with a key of its own. */
const actor = (organizationId: string, role: Actor['role']): Actor => ({
  organizationId,
  role,
  apiKeyId: `key-${++keys}`,
  workerId: null,
  keyExpiresAt: null,
  label: `${role} of ${organizationId}`,
});

/** A toy server: `ticks` hands the same event object to every subscriber; fields read the caller like real resolvers do. */
function toyServer() {
  const listeners = new Set<(event: { n: number }) => void>();
  let executions = 0;
  const schema = createSchema<{ actor: Actor }>({
    typeDefs: /* GraphQL */ `
      type Tick { n: Int! organization: String! secret: String }
      type Query { ok: Boolean }
      type Subscription { ticks: Tick! }
    `,
    resolvers: {
      Subscription: {
        ticks: {
          subscribe: () => {
            const queue: Array<{ n: number }> = [];
            let wake: (() => void) | undefined;
            const listener = (event: { n: number }) => {
              queue.push(event);
              wake?.();
            };
            listeners.add(listener);
            const iterator: AsyncIterableIterator<{ n: number }> = {
              [Symbol.asyncIterator]: () => iterator,
              async next() {
                while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
                return { done: false, value: queue.shift()! };
              },
              async return() {
                listeners.delete(listener);
                return { done: true, value: undefined };
              },
            };
            return iterator;
          },
          resolve: (event: { n: number }) => event,
        },
      },
      Tick: {
        n: (event: { n: number }) => {
          executions++;
          return event.n;
        },
        organization: (_event: unknown, _args: unknown, ctx: { actor: Actor }) => ctx.actor.organizationId,
        secret: (_event: unknown, _args: unknown, ctx: { actor: Actor }) => {
          if (ctx.actor.role !== 'admin') throw new Error('admins only');
          return `secret of ${ctx.actor.organizationId}`;
        },
      },
    },
  });
  const yoga = createYoga<{ actor: Actor }>({
    schema,
    // Results are compared with bare execution, so errors keep their messages.
    maskedErrors: false,
    logging: false,
    plugins: [useSharedExecution<{ actor?: Actor }>((context) => context.actor && resultScope(context.actor))],
  });
  return {
    schema,
    executions: () => executions,
    emit: (event: { n: number }) => {
      for (const listener of listeners) listener(event);
    },
    /** Subscribes as `who` through yoga's pipeline (parse cache, plugins), as graphql-ws does. */
    async subscribe(who: Actor, query: string) {
      const { parse: parseCached, subscribe, contextFactory, schema: enveloped } = yoga.getEnveloped({ actor: who });
      const contextValue = await contextFactory();
      const stream = (await subscribe({ schema: enveloped, document: parseCached(query), contextValue })) as AsyncIterableIterator<ExecutionResult>;
      return { stream, contextValue };
    },
  };
}

const QUERY = 'subscription { ticks { n organization secret } }';

describe('shared execution of subscription events', () => {
  it('executes an event once per scope, and each subscriber gets exactly what it alone would get', async () => {
    const server = toyServer();
    const callers = [actor('org-a', 'admin'), actor('org-a', 'admin'), actor('org-a', 'admin'), actor('org-a', 'viewer'), actor('org-b', 'admin')];
    const subscribers = await Promise.all(callers.map((who) => server.subscribe(who, QUERY)));
    const results = subscribers.map(({ stream }) => stream.next());
    const event = { n: 7 };
    server.emit(event);
    const received = (await Promise.all(results)).map((step) => step.value as ExecutionResult);

    // Three scopes (org-a admins, the org-a viewer, the org-b admin): three executions, not five.
    expect(server.executions()).toBe(3);
    // Each result equals executing the event for that subscriber alone.
    for (const [i, { contextValue }] of subscribers.entries()) {
      const alone = (await execute({ schema: server.schema, document: parse(QUERY), rootValue: event, contextValue })) as ExecutionResult;
      expect(JSON.parse(JSON.stringify(received[i]))).toEqual(JSON.parse(JSON.stringify(alone)));
    }
    expect(received[0]!.data).toEqual({ ticks: { n: 7, organization: 'org-a', secret: 'secret of org-a' } });
    expect(received[3]!.data).toEqual({ ticks: { n: 7, organization: 'org-a', secret: null } });
    expect(received[3]!.errors?.[0]?.message).toBe('admins only');
    expect(received[4]!.data).toEqual({ ticks: { n: 7, organization: 'org-b', secret: 'secret of org-b' } });

    // A new event object is executed again; subscribers that left get nothing.
    await Promise.all(subscribers.slice(1).map(({ stream }) => stream.return!()));
    const executed = server.executions();
    const next = subscribers[0]!.stream.next();
    server.emit({ n: 8 });
    expect(((await next).value as ExecutionResult).data).toEqual({ ticks: { n: 8, organization: 'org-a', secret: 'secret of org-a' } });
    expect(server.executions()).toBe(executed + 1);
    await subscribers[0]!.stream.return!();
  });

  it('shares nothing between different selections', async () => {
    const server = toyServer();
    const who = actor('org-a', 'admin');
    const subscribers = await Promise.all([server.subscribe(who, QUERY), server.subscribe(who, 'subscription { ticks { n } }')]);
    const results = subscribers.map(({ stream }) => stream.next());
    server.emit({ n: 1 });
    const [full, narrow] = (await Promise.all(results)).map((step) => (step.value as ExecutionResult).data);
    expect(full).toEqual({ ticks: { n: 1, organization: 'org-a', secret: 'secret of org-a' } });
    expect(narrow).toEqual({ ticks: { n: 1 } });
    expect(server.executions()).toBe(2);
    await Promise.all(subscribers.map(({ stream }) => stream.return!()));
  });
});
