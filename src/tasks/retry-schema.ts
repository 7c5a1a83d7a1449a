/** GraphQL types of retry policies (retry.ts), used by tasks and fleets. */
import type { RetryPolicy } from '../db/documents.js';
import { builder } from '../graphql/builder.js';
import { RETRY_DEFAULTS } from './retry.js';

const { backoff: defaults } = RETRY_DEFAULTS;

export const BackoffJitterEnum = builder.enumType('BackoffJitter', {
  description: 'How the wait before a retry is drawn.',
  values: {
    FULL: { description: 'Uniformly between 0 and the exponential bound ("full jitter"), so that retries of many tasks spread out.' },
    NONE: { description: 'Exactly the exponential bound.' },
  } satisfies Record<RetryPolicy['backoff']['jitter'], { description: string }>,
});

const BackoffRef = builder.objectRef<RetryPolicy['backoff']>('Backoff').implement({
  description: 'The wait before the n-th retry: up to min(maxSeconds, initialSeconds × multiplier^(n−1)) seconds.',
  fields: (t) => ({
    initialSeconds: t.exposeFloat('initialSeconds', { description: 'Bound of the wait before the first retry, in seconds.' }),
    multiplier: t.exposeFloat('multiplier', { description: 'Factor of the bound from one retry to the next.' }),
    maxSeconds: t.exposeFloat('maxSeconds', { description: 'Largest bound, in seconds.' }),
    jitter: t.field({ type: BackoffJitterEnum, description: 'How the wait is drawn under the bound.', resolve: (b) => b.jitter }),
  }),
});

export const RetryPolicyRef = builder.objectRef<RetryPolicy>('RetryPolicy').implement({
  description: 'When a task whose run failed is tried again (README "Retries").',
  fields: (t) => ({
    maxAttempts: t.exposeInt('maxAttempts', { description: 'Attempts in all, the first included; then the task is dead-lettered.' }),
    backoff: t.field({ type: BackoffRef, description: 'The wait between attempts.', resolve: (p) => p.backoff }),
    retryOn: t.exposeStringList('retryOn', { description: 'Run error types that retry (e.g. `provider_timeout`); empty: every type.' }),
  }),
});

const BackoffInput = builder.inputType('BackoffInput', {
  description: 'The wait between attempts; omitted fields take their defaults.',
  fields: (t) => ({
    initialSeconds: t.float({ description: `Bound of the wait before the first retry, in seconds (default ${defaults.initialSeconds}).` }),
    multiplier: t.float({ description: `Factor of the bound from one retry to the next, 1–10 (default ${defaults.multiplier}).` }),
    maxSeconds: t.float({ description: `Largest bound, in seconds, at most one day (default ${defaults.maxSeconds}).` }),
    jitter: t.field({ type: BackoffJitterEnum, description: `How the wait is drawn (default ${defaults.jitter}).` }),
  }),
});

export const RetryPolicyInput = builder.inputType('RetryPolicyInput', {
  description: 'When a task whose run failed is tried again; omitted fields take their defaults.',
  fields: (t) => ({
    maxAttempts: t.int({ description: `Attempts in all, 1–100 (default ${RETRY_DEFAULTS.maxAttempts}).` }),
    backoff: t.field({ type: BackoffInput, description: 'The wait between attempts.' }),
    retryOn: t.stringList({ description: 'Run error types that retry (docs/protocol.md, error types); default every type.' }),
  }),
});
