/**
 * Error masking: unexpected errors reach clients as yoga's "Unexpected error." (and are
 * logged), but an expected domain failure on a field without a result union (a query, a
 * subscription) keeps its message, with a `code` extension clients can branch on.
 */
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError, type YogaServerOptions } from 'graphql-yoga';

import { DomainError, ForbiddenError, InvalidTransitionError, NotFoundError, ProtocolError, ValidationError } from '../errors.js';

/** `extensions.code` of each kind of domain error. */
function codeOf(error: DomainError): string {
  if (error instanceof ForbiddenError) return 'FORBIDDEN';
  if (error instanceof NotFoundError) return 'NOT_FOUND';
  if (error instanceof ValidationError) return 'BAD_USER_INPUT';
  if (error instanceof InvalidTransitionError) return 'INVALID_TRANSITION';
  if (error instanceof ProtocolError) return 'PROTOCOL_ERROR';
  return 'DOMAIN_ERROR';
}

/** The GraphQL phase an error comes from, as envelop names them. */
export type ErrorPhase = 'parse' | 'validate' | 'context' | 'execute' | 'subscribe';

/**
 * The `extensions.code` of `error` as clients see it once masked, for metrics and logs:
 * its own code, else its domain error's, else (or without an error) by phase `GRAPHQL_PARSE_FAILED`,
 * `GRAPHQL_VALIDATION_FAILED` (the codes Apollo Server uses), or `INTERNAL_SERVER_ERROR`.
 */
export function errorCode(error: Error | undefined, phase: ErrorPhase): string {
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  if (typeof code === 'string') return code;
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) return codeOf(original);
  if (phase === 'parse') return 'GRAPHQL_PARSE_FAILED';
  if (phase === 'validate') return 'GRAPHQL_VALIDATION_FAILED';
  return 'INTERNAL_SERVER_ERROR';
}

/** Whether `error` is an expected failure answered to the client with its message and code (a domain error), not a server fault. */
export function isAnsweredError(error: unknown): boolean {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof DomainError;
}

/** yoga's `maskedErrors` option. */
export const maskedErrors: NonNullable<YogaServerOptions<object, object>['maskedErrors']> = {
  maskError(error, message, isDev) {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof DomainError && error instanceof GraphQLError) {
      return createGraphQLError(original.message, {
        nodes: error.nodes,
        path: error.path,
        extensions: {
          code: codeOf(original),
          ...(original instanceof ValidationError ? { issues: original.issues } : {}),
          ...(original instanceof ForbiddenError ? { http: { status: 403 } } : {}),
        },
      });
    }
    return yogaMaskError(error, message, isDev);
  },
};
