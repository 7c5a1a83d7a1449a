/**
 * The request body limit (`MAX_BODY_BYTES`): yoga reads whole bodies and has no limit of
 * its own. A request that declares a larger `Content-Length` is answered
 * `413 Content Too Large` before a byte of its body is read; a body without a length
 * (chunked) is read up to the limit and refused as soon as it passes it. Either way the
 * answer is a GraphQL error of code `PAYLOAD_TOO_LARGE` and nothing runs.
 *
 * A body with a `Content-Length` within the limit is handed to yoga's parser as it is:
 * node's HTTP parser delivers exactly the declared number of bytes (and refuses a request
 * declaring both a length and chunked encoding, or a malformed length), so there is
 * nothing to count; such a parse only gives up as soon as the client closes its
 * connection, which node's request stream never reports to the parser by itself. This
 * plugin replaces yoga's own `maxRequestBodySize`, which pipes every body through a
 * counting stream (src/http/yoga.ts turns it off).
 */
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

import { refusal } from './refusal.js';

/** The error (HTTP 413) of a body over `maxBytes`. */
function tooLarge(maxBytes: number): GraphQLError {
  return createGraphQLError(`The request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES)`, {
    extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } },
  });
}

/**
 * Reads `body` whole, up to `maxBytes`.
 * @throws GraphQLError (HTTP 413) once more than `maxBytes` arrived; the stream is cancelled
 */
async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/**
 * `parsing`, or an `AbortError` as soon as `signal` aborts (the client closed its
 * connection): a body read straight from node's request never settles when the client
 * goes away mid-body, so without this the request would wait for ever.
 * @throws DOMException (name `AbortError`) when the client aborted first
 */
function untilAborted<T>(parsing: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DOMException('The client closed the request', 'AbortError'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('The client closed the request', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    parsing.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A yoga plugin refusing request bodies over `maxBytes` with HTTP 413. */
export function useBodySizeLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > maxBytes) {
        const { message, extensions } = tooLarge(maxBytes);
        endResponse(refusal(fetchAPI, 413, { message, code: String(extensions.code) }, { connection: 'close' }));
      }
    },
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (!requestParser || !request.body) return;
      if (request.headers.has('content-length')) {
        setRequestParser((incoming) => untilAborted(Promise.resolve(requestParser(incoming)), request.signal));
        return;
      }
      setRequestParser(async (incoming) => {
        if (!incoming.body) return requestParser(incoming);
        const body = await readLimited(incoming.body, maxBytes);
        return requestParser(new fetchAPI.Request(incoming.url, { method: incoming.method, headers: incoming.headers, body }));
      });
    },
  };
}
