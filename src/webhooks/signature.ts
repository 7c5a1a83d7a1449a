/**
 * Webhook signatures: HMAC-SHA256 of `<timestamp>.<body>` with the webhook's secret,
 * sent as `X-Workforce-Signature: t=<unix seconds>,v1=<hex>` (the scheme Stripe
 * documents: the timestamp inside the signed text lets a receiver reject replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'x-workforce-signature';

/** The signature header value for `body` sent at `timestamp` (seconds since the epoch). */
export function signPayload(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * Checks a signature header against `body`, as a receiver would.
 * @param toleranceSeconds how old the timestamp may be relative to `now` (default 300)
 */
export function verifySignature(secret: string, body: string, header: string, now = new Date(), toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signPayload(secret, body, timestamp).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
