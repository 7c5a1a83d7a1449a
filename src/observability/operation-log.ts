/**
 * Request ids and one info log line per GraphQL operation.
 *
 * - **Request id.** An HTTP request keeps the `x-request-id` its client (or a proxy) sent
 *   when it is 1–128 characters of `A–Z a–z 0–9 . _ : @ + = / -`; otherwise it gets a
 *   random UUID. Every HTTP answer carries it in `x-request-id`, refusals included. A
 *   graphql-ws operation's id is its socket's (the upgrade request's `x-request-id`, or a
 *   UUID) followed by `/` and the operation's id on the socket.
 * - **One line per operation**, at info level, when it ends: `requestId`, `operation`
 *   (its name, null when anonymous), `operationType`, `transport` (`http`, `sse`, `ws`),
 *   `durationMs` (from the request's arrival, or the subscribe message's; a subscription
 *   ends when it completes or its client leaves), `status` (`ok`, or `error` when the
 *   answer holds errors or its HTTP status is 400 or more), the `errorCodes` of its errors
 *   (`extensions.code`), and `httpStatus` over HTTP. A request refused before GraphQL
 *   runs (401, 413, 429) is logged the same way, without an operation.
 * - Client errors (validation, authentication, not found …) are answers, not server
 *   faults: they appear in this info line only. Unexpected errors are also logged at
 *   error level by yoga, with their stack.
 */
import { randomUUID } from 'node:crypto';

import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

import type { Logger } from '../logger.js';
import { errorCode } from '../graphql/mask-errors.js';

/** The response header (and accepted request header) carrying the request id. */
export const REQUEST_ID_HEADER = 'x-request-id';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The request id of a request that sent `header` (module comment). */
export function requestIdOf(header: string | null | undefined): string {
  return header && ACCEPTED_REQUEST_ID.test(header) ? header : randomUUID();
}

/** What a graphql-ws operation's context carries for its log line (src/http/graphql-ws.ts). */
export interface SocketOperation {
  /** `<socket's request id>/<operation id>`. */
  requestId: string;
  /** `performance.now()` when its subscribe message arrived. */
  startedAt: number;
}

/** One operation being logged. */
interface Entry {
  requestId: string;
  startedAt: number;
  transport: 'http' | 'sse' | 'ws';
  operation: string | null;
  operationType: string | null;
  /** Whether the request carried GraphQL parameters (false: GraphiQL's page, a refusal before they were read). */
  isOperation: boolean;
  codes: Set<string>;
  failed: boolean;
  /** Its line is written when its stream ends, not with the HTTP answer. */
  streaming: boolean;
  logged: boolean;
}

/** Writes the operation log lines of one app. */
export class OperationLog {
  constructor(private readonly logger: Logger) {}

  /**
   * The yoga plugin: request ids, and the line of every HTTP and server-sent-events
   * operation and every graphql-ws operation that reaches execution. Place it first, so
   * that requests refused by later plugins get an id and a line too.
   */
  plugin(): Plugin<{ request?: Request; params?: { operationName?: string | null }; operation?: SocketOperation }> {
    const byRequest = new WeakMap<Request, Entry>();
    const byContext = new WeakMap<object, Entry>();
    const entryOf = (contextValue: { request?: Request; operation?: SocketOperation }, document: DocumentNode, operationName: string | null | undefined): Entry => {
      let entry = byContext.get(contextValue) ?? (contextValue.request && byRequest.get(contextValue.request));
      if (!entry) {
        const socket = contextValue.operation;
        entry = newEntry(socket?.requestId ?? randomUUID(), socket?.startedAt ?? performance.now(), 'ws');
        byContext.set(contextValue, entry);
      }
      nameFrom(entry, document, operationName);
      return entry;
    };
    // A single result: over HTTP the line waits for the answer (its status); over graphql-ws it is written now.
    // A stream: its line is written when it ends.
    const track = (entry: Entry, result: ExecutionResult | AsyncIterable<ExecutionResult>) => {
      if (!isAsyncIterable(result)) {
        this.noteErrors(entry, result.errors);
        if (entry.transport === 'ws') this.write(entry);
        return undefined;
      }
      entry.streaming = true;
      if (entry.transport === 'http') entry.transport = 'sse';
      return {
        onNext: ({ result: next }: { result: ExecutionResult }) => this.noteErrors(entry, next.errors),
        onEnd: () => this.write(entry),
      };
    };
    return {
      onRequest: ({ request }) => {
        byRequest.set(request, newEntry(requestIdOf(request.headers.get(REQUEST_ID_HEADER)), performance.now(), 'http'));
      },
      onParams: ({ request, params }) => {
        const entry = byRequest.get(request);
        if (!entry) return;
        entry.isOperation = true;
        entry.operation = params.operationName ?? null;
      },
      // Names an operation that fails validation, which never reaches execution.
      onParse: ({ context }) => {
        const entry = context.request && byRequest.get(context.request);
        if (!entry) return undefined;
        return ({ result }) => {
          if (!(result instanceof Error) && result) nameFrom(entry, result, context.params?.operationName);
        };
      },
      onExecute: ({ args }) => {
        const entry = entryOf(args.contextValue, args.document, args.operationName);
        return { onExecuteDone: ({ result }) => track(entry, result) };
      },
      onSubscribe: ({ args }) => {
        const entry = entryOf(args.contextValue, args.document, args.operationName);
        return {
          onSubscribeResult: ({ result }) => track(entry, result),
          onSubscribeError: ({ error }) => {
            this.noteErrors(entry, [error as GraphQLError]);
            if (entry.transport === 'ws') this.write(entry);
          },
        };
      },
      onResultProcess: ({ request, result }) => {
        const entry = byRequest.get(request);
        if (!entry || isAsyncIterable(result)) return;
        for (const single of Array.isArray(result) ? result : [result]) this.noteErrors(entry, single.errors);
      },
      onResponse: ({ request, response }) => {
        const entry = byRequest.get(request);
        if (!entry) return;
        response.headers.set(REQUEST_ID_HEADER, entry.requestId);
        if (entry.streaming || (!entry.isOperation && response.status < 400)) return;
        if (response.status >= 400) entry.failed = true;
        this.write(entry, response.status);
      },
    };
  }

  /**
   * Logs a graphql-ws operation that ended before execution: refused by a limit, a syntax
   * or validation error, an unknown persisted operation.
   */
  refused(operation: SocketOperation, request: { document?: DocumentNode; operationName?: string | null | undefined }, errors: readonly GraphQLError[]): void {
    const entry = newEntry(operation.requestId, operation.startedAt, 'ws');
    entry.operation = request.operationName ?? null;
    if (request.document) nameFrom(entry, request.document, request.operationName);
    this.noteErrors(entry, errors);
    this.write(entry);
  }

  private noteErrors(entry: Entry, errors: readonly GraphQLError[] | undefined): void {
    if (!errors?.length) return;
    entry.failed = true;
    for (const error of errors) entry.codes.add(errorCode(error, 'execute'));
  }

  private write(entry: Entry, httpStatus?: number): void {
    if (entry.logged) return;
    entry.logged = true;
    const durationMs = Math.round((performance.now() - entry.startedAt) * 10) / 10;
    const status = entry.failed ? 'error' : 'ok';
    this.logger.info(
      {
        requestId: entry.requestId,
        operation: entry.operation,
        operationType: entry.operationType,
        transport: entry.transport,
        durationMs,
        status,
        ...(entry.codes.size > 0 ? { errorCodes: [...entry.codes] } : {}),
        ...(httpStatus !== undefined ? { httpStatus } : {}),
      },
      `graphql ${entry.operationType ?? 'request'} ${entry.operation ?? (entry.isOperation ? 'anonymous' : 'refused')} ${status}`,
    );
  }
}

/** Takes the operation's name and type from its document. */
function nameFrom(entry: Entry, document: DocumentNode, operationName: string | null | undefined): void {
  const ast = getOperationAST(document, operationName);
  entry.isOperation = true;
  entry.operation = ast?.name?.value ?? operationName ?? entry.operation;
  entry.operationType = ast?.operation ?? entry.operationType;
}

function newEntry(requestId: string, startedAt: number, transport: Entry['transport']): Entry {
  return { requestId, startedAt, transport, operation: null, operationType: null, isOperation: false, codes: new Set(), failed: false, streaming: false, logged: false };
}
