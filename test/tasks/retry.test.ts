/** Retry policies (src/tasks/retry.ts): which failures retry, and full-jitter backoff. */
import { describe, expect, it } from 'vitest';

import { backoffSeconds, retries, RetryPolicyModel } from '../../src/tasks/retry.js';

describe('retry policies', () => {
  const policy = RetryPolicyModel.parse({ maxAttempts: 4, backoff: { initialSeconds: 10, multiplier: 3, maxSeconds: 60 }, retryOn: ['provider_timeout'] });

  it('fills defaults: 3 attempts, 10 s doubling up to 600 s, full jitter, every error type', () => {
    expect(RetryPolicyModel.parse({})).toEqual({ maxAttempts: 3, backoff: { initialSeconds: 10, multiplier: 2, maxSeconds: 600, jitter: 'FULL' }, retryOn: [] });
  });

  it('retries only the error types named, while attempts remain', () => {
    expect(retries(policy, 'provider_timeout', 1)).toBe(true);
    expect(retries(policy, 'provider_timeout', 3)).toBe(true);
    expect(retries(policy, 'provider_timeout', 4)).toBe(false);
    expect(retries(policy, 'authentication_error', 1)).toBe(false);
    expect(retries(null, 'provider_timeout', 1)).toBe(false);
  });

  it('draws the wait uniformly below min(cap, base × multiplier^(n−1)) with full jitter', () => {
    expect([1, 2, 3].map((attempts) => backoffSeconds(policy, attempts, () => 0.999999))).toEqual([
      expect.closeTo(10, 3),
      expect.closeTo(30, 3),
      expect.closeTo(60, 3),
    ]);
    expect(backoffSeconds(policy, 2, () => 0)).toBe(0);
    expect(backoffSeconds(policy, 2, () => 0.5)).toBe(15);
    expect(backoffSeconds({ ...policy, backoff: { ...policy.backoff, jitter: 'NONE' } }, 5, () => 0)).toBe(60);
  });
});
