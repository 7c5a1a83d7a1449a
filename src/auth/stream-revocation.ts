/**
 * Subscriptions over HTTP (server-sent events) are authenticated once, when their request
 * arrives, like graphql-ws sockets at `connection_init`. Sockets are closed by the key
 * watch (key-watch.ts); this plugin puts an SSE subscription under the same watch: when
 * its key is revoked or expires, the stream sends one last result, an error of code
 * `FORBIDDEN` saying so, and completes, which ends the response. Subscriptions over
 * graphql-ws are left to their socket's watch (docs/architecture.md "Authentication and
 * the input boundary").
 */
import type { ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

import type { AccessControl } from './access.js';
import type { Actor } from './actor.js';

/** The message of the last result of a subscription whose key is no longer usable. */
export const KEY_UNUSABLE_MESSAGE = 'Forbidden: the API key was revoked or expired';

/** What the plugin reads from the context: the caller, and the socket when over graphql-ws. */
interface StreamContext {
  actor?: Actor;
  socket?: object;
}

/** An envelop plugin ending SSE subscriptions whose key is revoked or expires (see the module comment). */
export function useKeyWatchOnStreams(access: Pick<AccessControl, 'watch'>): Plugin<StreamContext> {
  return {
    onSubscribe({ args }) {
      const { actor, socket } = args.contextValue;
      if (socket || !actor?.apiKeyId) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (Symbol.asyncIterator in result) setResult(endingWhenUnusable(result, (onUnusable) => access.watch(actor, onUnusable)));
        },
      };
    },
  };
}

/**
 * `source` until the watch reports the key unusable; then one error result and the end.
 * The source is closed without waiting for it (a stream blocked on its next wake-up
 * finishes closing when it wakes).
 */
function endingWhenUnusable(
  source: AsyncIterable<ExecutionResult>,
  watch: (onUnusable: () => void) => () => void,
): AsyncGenerator<ExecutionResult, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let unusable!: () => void;
  const revoked = new Promise<'unusable'>((resolve) => (unusable = () => resolve('unusable')));
  const unwatch = watch(() => unusable());
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unwatch();
    iterator.return?.().catch(() => undefined);
  };
  const wrapper: AsyncGenerator<ExecutionResult, void, undefined> = {
    [Symbol.asyncIterator]: () => wrapper,
    async next() {
      if (ended) return { done: true, value: undefined };
      const pending = iterator.next();
      pending.catch(() => undefined);
      let step: IteratorResult<ExecutionResult, unknown> | 'unusable';
      try {
        step = await Promise.race([pending, revoked]);
      } catch (error) {
        end();
        throw error;
      }
      if (step === 'unusable') {
        end();
        return { done: false, value: { errors: [createGraphQLError(KEY_UNUSABLE_MESSAGE, { extensions: { code: 'FORBIDDEN' } })] } };
      }
      if (step.done) {
        ended = true;
        unwatch();
        return { done: true, value: undefined };
      }
      return step;
    },
    async return() {
      end();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      end();
      throw error;
    },
  };
  return wrapper;
}
