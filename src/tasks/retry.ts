/**
 * Retry policies of tasks (README "Retries"): how many attempts a task gets, how long it
 * waits between them and which run failures retry. A task's own policy wins; a task
 * without one takes its fleet's; with neither, a task has one attempt (no retry).
 *
 * The wait before the n-th retry is exponential backoff with "full jitter" as the AWS
 * Architecture Blog's "Exponential Backoff And Jitter" (Marc Brooker, 2015) defines it:
 * `sleep = random_between(0, min(cap, base * multiplier ** attempt))`, here with
 * `base = initialSeconds`, `cap = maxSeconds` and the exponent counting from 0 for the
 * first retry. With `jitter: NONE` the wait is the upper bound itself.
 */
import { z } from 'zod';

import type { RetryPolicy } from '../db/documents.js';
import { withDefault } from '../validation.js';

/** Defaults of a policy's omitted fields (README "Retries"). */
export const RETRY_DEFAULTS: RetryPolicy = {
  maxAttempts: 3,
  backoff: { initialSeconds: 10, multiplier: 2, maxSeconds: 600, jitter: 'FULL' },
  retryOn: [],
};

/** Upper bound of `maxAttempts`. */
export const MAX_ATTEMPTS_LIMIT = 100;

/** Upper bound of `maxSeconds`: one day. */
export const MAX_BACKOFF_SECONDS = 86_400;

const BackoffModel = z
  .object({
    initialSeconds: withDefault(z.number().positive().max(MAX_BACKOFF_SECONDS), RETRY_DEFAULTS.backoff.initialSeconds),
    multiplier: withDefault(z.number().min(1).max(10), RETRY_DEFAULTS.backoff.multiplier),
    maxSeconds: withDefault(z.number().positive().max(MAX_BACKOFF_SECONDS), RETRY_DEFAULTS.backoff.maxSeconds),
    jitter: withDefault(z.enum(['FULL', 'NONE']), RETRY_DEFAULTS.backoff.jitter),
  })
  .refine((backoff) => backoff.maxSeconds >= backoff.initialSeconds, { message: 'maxSeconds must not be below initialSeconds', path: ['maxSeconds'] });

/** A retry policy as given (every field optional), with the defaults filled in. */
export const RetryPolicyModel = z.object({
  maxAttempts: withDefault(z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT), RETRY_DEFAULTS.maxAttempts),
  backoff: withDefault(BackoffModel, RETRY_DEFAULTS.backoff),
  retryOn: withDefault(z.array(z.string().trim().min(1)).max(50), RETRY_DEFAULTS.retryOn),
});

/** Whether a run failure of `errorType` after attempt number `attempts` (1-based) is tried again under `policy`. */
export function retries(policy: RetryPolicy | null, errorType: string, attempts: number): boolean {
  if (!policy || attempts >= policy.maxAttempts) return false;
  return policy.retryOn.length === 0 || policy.retryOn.includes(errorType);
}

/**
 * Seconds to wait before the retry that follows attempt number `attempts` (1-based):
 * full jitter over `min(maxSeconds, initialSeconds × multiplier^(attempts−1))`.
 * @param random a number in [0, 1), `Math.random` by default
 */
export function backoffSeconds(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const { initialSeconds, multiplier, maxSeconds, jitter } = policy.backoff;
  const ceiling = Math.min(maxSeconds, initialSeconds * multiplier ** Math.max(0, attempts - 1));
  return jitter === 'FULL' ? random() * ceiling : ceiling;
}
