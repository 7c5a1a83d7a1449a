/**
 * Concurrent subscriptions (`MAX_SUBSCRIPTIONS_PER_CONNECTION`, `MAX_SUBSCRIPTIONS_PER_KEY`):
 * each open subscription holds a bus listener and, for runs, a database cursor, so
 * neither one socket nor one key may open them without bound. Counted in an envelop
 * plugin, so graphql-ws and SSE subscriptions are counted alike; a connection is the
 * graphql-ws socket (or, for SSE, the HTTP request, which carries one subscription).
 *
 * Over the limit the subscription does not start: its one result is a GraphQL error of
 * code `TOO_MANY_SUBSCRIPTIONS` (graphql-ws: a `next` with the error, then `complete`),
 * and the socket and its other subscriptions go on. A subscription stops counting when
 * it completes, fails, or its client or socket goes away.
 */
import type { ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

import type { Actor } from '../auth/actor.js';

/** What the plugin reads from the context: the caller, and what identifies its connection. */
interface SubscriptionContext {
  actor?: Actor;
  /** graphql-ws: the socket (src/http/graphql-ws.ts puts it in the context). */
  socket?: object;
  /** HTTP (SSE): the request. */
  request?: object;
}

/** Counts per object (connections) and per string (keys). */
class Counter<Key> {
  readonly #counts = new Map<Key, number>();

  get(key: Key): number {
    return this.#counts.get(key) ?? 0;
  }

  add(key: Key, delta: 1 | -1): void {
    const next = this.get(key) + delta;
    if (next <= 0) this.#counts.delete(key);
    else this.#counts.set(key, next);
  }
}

/** An envelop plugin bounding concurrent subscriptions per connection and per API key. */
export function useSubscriptionLimits(limits: { perConnection: number; perKey: number }): Plugin<SubscriptionContext> {
  const connections = new Counter<object>();
  const keys = new Counter<string>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue;
      const connection = context.socket ?? context.request;
      const key = context.actor ? (context.actor.apiKeyId ?? 'open-access') : undefined;
      const refusal =
        connection && connections.get(connection) >= limits.perConnection
          ? `This connection already has ${limits.perConnection} subscriptions open (MAX_SUBSCRIPTIONS_PER_CONNECTION)`
          : key && keys.get(key) >= limits.perKey
            ? `This API key already has ${limits.perKey} subscriptions open (MAX_SUBSCRIPTIONS_PER_KEY)`
            : undefined;
      if (refusal) {
        setResultAndStopExecution({ errors: [createGraphQLError(refusal, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })] });
        return;
      }
      if (connection) connections.add(connection, 1);
      if (key) keys.add(key, 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (connection) connections.add(connection, -1);
        if (key) keys.add(key, -1);
      };
      return {
        onSubscribeResult({ result, setResult }) {
          if (Symbol.asyncIterator in result) setResult(releasing(result, release));
          else release();
        },
      };
    },
  };
}

/** `source`, calling `release` once when it ends, fails or is closed by its consumer. */
function releasing(source: AsyncIterable<ExecutionResult>, release: () => void): AsyncGenerator<ExecutionResult, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const wrapper: AsyncGenerator<ExecutionResult, void, undefined> = {
    [Symbol.asyncIterator]: () => wrapper,
    async next() {
      try {
        const step = await iterator.next();
        if (step.done) release();
        return step;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return() {
      release();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      release();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
  };
  return wrapper;
}
