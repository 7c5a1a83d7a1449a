/**
 * Request rates (issue 6, item 4), counted with rate-limiter-flexible over fixed windows
 * of `RATE_LIMIT_WINDOW_SECONDS`:
 * - per client address: every HTTP request to yoga (queries, mutations, SSE
 *   subscriptions, GraphiQL) and every websocket upgrade;
 * - per API key: every operation, over HTTP and graphql-ws together (open local access
 *   counts as one key);
 * - per graphql-ws socket: every operation it sends.
 *
 * Over HTTP a refusal is `429 Too Many Requests` with `Retry-After` (seconds) and a
 * GraphQL error of code `RATE_LIMITED`; over graphql-ws the socket is closed with
 * {@link RATE_LIMITED_CLOSE_CODE}. The counters live in this process's memory
 * (`RateLimiterMemory`); behind a load balancer each process counts alone, and a store
 * shared by the processes (rate-limiter-flexible's `RateLimiterRedis`, same interface)
 * can be handed to {@link RateLimiter} instead.
 */
import type { IncomingMessage } from 'node:http';

import type { GraphQLError } from 'graphql';
import { createGraphQLError, type FetchAPI, type Plugin } from 'graphql-yoga';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { Actor } from '../auth/actor.js';
import type { RateLimits } from '../config.js';
import { refusal } from './refusal.js';

/**
 * The graphql-ws close code of a socket that went over a rate: 4429, the number
 * graphql-ws itself uses for "too many" (its 4429 is "Too many initialisation
 * requests"), after HTTP 429. The close reason says when to retry.
 */
export const RATE_LIMITED_CLOSE_CODE = 4429;

/** What is counted. */
export type RateScope = 'client address' | 'API key' | 'connection';

/** A rate was exceeded; `retryAfterSeconds` is when its window ends. */
export class RateLimitedError extends Error {
  constructor(
    readonly scope: RateScope,
    readonly retryAfterSeconds: number,
  ) {
    super(`Too many requests for this ${scope}: retry after ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }

  /** The answer over HTTP before GraphQL runs: status 429 with `Retry-After`. */
  toResponse(fetchAPI: FetchAPI): Response {
    return refusal(
      fetchAPI,
      429,
      { message: this.message, code: 'RATE_LIMITED', extensions: { retryAfterSeconds: this.retryAfterSeconds } },
      { 'retry-after': String(this.retryAfterSeconds) },
    );
  }

  /** The GraphQL error of a refused graphql-ws operation. */
  toGraphQLError(): GraphQLError {
    return createGraphQLError(this.message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: this.retryAfterSeconds } });
  }
}

/** One limiter per scope; a rate of 0 is not limited. */
export class RateLimiter {
  readonly #client: RateLimiterAbstract | undefined;
  readonly #key: RateLimiterAbstract | undefined;
  readonly #socket: RateLimiterAbstract | undefined;
  readonly #trustProxy: (address: string, hop: number) => boolean;

  /**
   * @param store makes the limiter of one scope (default: in memory); a Redis-backed
   *   `RateLimiterRedis` with the same points and duration fits here
   */
  constructor(
    limits: RateLimits,
    store: (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract = (options) => new RateLimiterMemory(options),
  ) {
    const make = (keyPrefix: string, points: number) => (points > 0 ? store({ keyPrefix, points, duration: limits.windowSeconds }) : undefined);
    this.#client = make('client', limits.perClient);
    this.#key = make('key', limits.perKey);
    this.#socket = make('socket', limits.perSocket);
    this.#trustProxy = proxyAddr.compile(limits.trustProxy);
  }

  /**
   * The address of the client of a node:http request: the socket's peer, or, when that
   * peer is a trusted proxy (`TRUST_PROXY`), the nearest untrusted address of its
   * `X-Forwarded-For` (proxy-addr, Express's rule). "unknown" when the socket is gone.
   */
  clientAddress(req: IncomingMessage | undefined): string {
    if (!req?.socket.remoteAddress) return 'unknown';
    return proxyAddr(req, this.#trustProxy);
  }

  /** Counts one request (or websocket upgrade) of `req`'s client address. @throws RateLimitedError */
  consumeClient(req: IncomingMessage | undefined): Promise<void> {
    return consume(this.#client, this.clientAddress(req), 'client address');
  }

  /** Counts one operation of `actor`'s key. @throws RateLimitedError */
  consumeKey(actor: Actor): Promise<void> {
    return consume(this.#key, actor.apiKeyId ?? 'open-access', 'API key');
  }

  /** Counts one operation on the socket `socketId`. @throws RateLimitedError */
  consumeSocket(socketId: string): Promise<void> {
    return consume(this.#socket, socketId, 'connection');
  }
}

async function consume(limiter: RateLimiterAbstract | undefined, key: string, scope: RateScope): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(scope, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    throw rejection;
  }
}

/**
 * A yoga plugin counting every request per client address, before its body is read;
 * over the rate it answers 429 at once.
 */
export function useClientRateLimit(rates: RateLimiter): Plugin<object, { req?: IncomingMessage }> {
  return {
    async onRequest({ serverContext, endResponse, fetchAPI }) {
      try {
        await rates.consumeClient(serverContext.req);
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        endResponse(error.toResponse(fetchAPI));
      }
    },
  };
}
