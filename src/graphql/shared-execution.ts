/**
 * Subscription events executed once for all the subscribers that get the same answer.
 *
 * A subscription maps each event of its source stream to a response by executing its
 * selection with the event as root value (GraphQL spec, "MapSourceToResponseEvent" and
 * "ExecuteSubscriptionEvent"). When many subscribers are handed the same event object —
 * `fleetStatus` hands one status object to every watcher of a fleet, shared reads hand the
 * same rows to every reader of a stream — executing it once per subscriber repeats the
 * same work (and its garbage) thousands of times. Here an event is executed once per
 * document, operation name, variables and scope, and the same result object goes to every
 * subscriber with that key (consumers do not modify results: graphql-ws and yoga's
 * masking copy a result before changing it).
 *
 * The scope comes from the context and must name everything resolvers read from the
 * caller (src/auth/actor.ts, `resultScope`): subscribers share a result only when their
 * scopes are equal, and one without a scope shares nothing. The shared execution runs
 * with the context of the first subscriber that maps the event. Events that are not
 * objects, and documents parsed separately, are executed per subscriber.
 * Nothing is kept beyond the event: results are held in a WeakMap keyed by the event object.
 */
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';

/** Results of one event: per document, then per operation name, variables and scope. */
type EventResults = WeakMap<DocumentNode, Map<string, ExecutionResult | Promise<ExecutionResult>>>;

/**
 * An envelop plugin that executes each subscription event once per document, operation
 * name, variables and `scopeOf(context)` (see the module comment).
 * @param scopeOf what may make two callers' results differ, as a string; undefined: share nothing
 */
export function useSharedExecution<Context extends object>(scopeOf: (context: Context) => string | undefined): Plugin<Context> {
  const executed = new WeakMap<object, EventResults>();
  const subscribeSharing = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const scope = scopeOf(args.contextValue as Context);
    const key = scope === undefined ? undefined : JSON.stringify([args.operationName ?? null, args.variableValues ?? {}, scope]);
    return mapAsyncIterator(stream, (event: unknown) => {
      const run = () => execute({ ...args, rootValue: event });
      if (key === undefined || typeof event !== 'object' || event === null) return run();
      let byDocument = executed.get(event);
      if (!byDocument) executed.set(event, (byDocument = new WeakMap()));
      let byKey = byDocument.get(args.document);
      if (!byKey) byDocument.set(args.document, (byKey = new Map()));
      let result = byKey.get(key);
      if (!result) byKey.set(key, (result = run()));
      return result;
    });
  };
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeSharing as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}
