/**
 * HTTP tools: a protocol's settings may bind a declared tool to a URL; when the model (or
 * a tool-call block) calls it, the server POSTs the arguments as JSON and the JSON answer
 * becomes the tool result (issue "complete engine", item 2).
 *
 * Settings shape, per tool name: `{ "url": "https://…", "timeoutMs": 10000, "headers": {…} }`.
 * Failures (timeout, network, non-2xx, non-JSON) throw {@link HttpToolError}, which the
 * engine reports as the tool's error result: the model sees the message, the run goes on.
 * Requests go through the outbound policy (src/net/outbound.ts): a URL whose address is
 * private, loopback, link-local or a cloud metadata endpoint is refused unless the
 * operator allows it (OUTBOUND_ALLOW), and the message says so. The binding's headers
 * (which may hold credentials) appear in no message.
 */
import { z } from 'zod';

import { timeoutSignal } from '../engine/limits.js';
import { outboundRefusal, type OutboundPolicy, type OutboundResponse } from '../net/outbound.js';

/** Default and maximum time an HTTP tool may take, in milliseconds. */
export const HTTP_TOOL_DEFAULT_TIMEOUT_MS = 10_000;
export const HTTP_TOOL_MAX_TIMEOUT_MS = 120_000;
/** Largest answer accepted, in bytes. */
export const HTTP_TOOL_MAX_RESPONSE_BYTES = 1_000_000;

/** How one tool is bound to a URL (validated when the protocol is stored). */
export const HttpToolBindingModel = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    timeoutMs: z.number().int().positive().max(HTTP_TOOL_MAX_TIMEOUT_MS).default(HTTP_TOOL_DEFAULT_TIMEOUT_MS),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type HttpToolBinding = z.output<typeof HttpToolBindingModel>;

/** Tool name → binding, as stored in a protocol version's settings under `httpTools`. */
export const HttpToolBindingsModel = z.record(z.string(), HttpToolBindingModel);

/** An HTTP tool call failed; the message is what the model sees. */
export class HttpToolError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpToolError';
  }
}

/**
 * Calls `binding` with `args`.
 * @param signal the run's signal; aborting it aborts the request
 * @param outbound the policy the request goes through
 * @returns the parsed JSON answer
 * @throws HttpToolError on timeout, network failure, a destination the policy refuses,
 *   a non-2xx status or a non-JSON body
 */
export async function callHttpTool(
  toolName: string,
  binding: HttpToolBinding,
  args: Record<string, unknown>,
  signal: AbortSignal,
  outbound: OutboundPolicy,
): Promise<unknown> {
  let response: OutboundResponse;
  try {
    response = await outbound.fetch(binding.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...binding.headers },
      body: JSON.stringify(args),
      signal: AbortSignal.any([signal, timeoutSignal(binding.timeoutMs)]),
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const refusal = outboundRefusal(error);
    if (refusal) throw new HttpToolError(`Tool "${toolName}" may not be called: ${refusal.message}`);
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new HttpToolError(
      timedOut
        ? `Tool "${toolName}" did not answer within ${binding.timeoutMs} ms`
        : `Tool "${toolName}" could not be reached: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = await response.text();
  if (text.length > HTTP_TOOL_MAX_RESPONSE_BYTES) {
    throw new HttpToolError(`Tool "${toolName}" answered more than ${HTTP_TOOL_MAX_RESPONSE_BYTES} bytes`, response.status);
  }
  if (!response.ok) {
    throw new HttpToolError(`Tool "${toolName}" failed with HTTP ${response.status}: ${text.slice(0, 500)}`, response.status);
  }
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    throw new HttpToolError(`Tool "${toolName}" answered something that is not JSON`, response.status);
  }
}
