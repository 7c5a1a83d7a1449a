/**
 * The answer of a request refused before GraphQL runs (over a limit, not authenticated):
 * a GraphQL-over-HTTP error body `{ errors: [{ message, extensions: { code } }] }` with
 * its HTTP status, built without reading the request body.
 */
import type { FetchAPI } from 'graphql-yoga';

/**
 * A refusal response.
 * @param headers more response headers, e.g. `retry-after`, or `connection: close` so
 *   that node closes the socket instead of reading an unread body
 */
export function refusal(
  fetchAPI: FetchAPI,
  status: number,
  error: { message: string; code: string; extensions?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Response {
  const body = { errors: [{ message: error.message, extensions: { code: error.code, ...error.extensions } }] };
  return new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}
