/** Trigger payload matching and webhook signatures, as units. */
import { describe, expect, it } from 'vitest';

import { mapInput, matchesFilter, valueAt } from '../../src/triggers/match.js';
import { matchesEventType } from '../../src/webhooks/service.js';
import { signPayload, verifySignature } from '../../src/webhooks/signature.js';

describe('trigger payload paths', () => {
  const payload = { source: 'web', lead: { company: 'ACME', tags: ['b2b'], score: 0 } };

  it('reads dot-separated paths', () => {
    expect(valueAt(payload, 'lead.company')).toBe('ACME');
    expect(valueAt(payload, 'lead.score')).toBe(0);
    expect(valueAt(payload, 'lead.missing.deeper')).toBeUndefined();
    expect(valueAt(payload, 'source.length')).toBeUndefined();
  });

  it('matches a filter when every path holds its value', () => {
    expect(matchesFilter(payload, {})).toBe(true);
    expect(matchesFilter(payload, { source: 'web', 'lead.tags': ['b2b'] })).toBe(true);
    expect(matchesFilter(payload, { source: 'web', 'lead.company': 'Globex' })).toBe(false);
    expect(matchesFilter(payload, { 'lead.score': null })).toBe(false);
  });

  it('maps payload paths to task input fields, or passes the payload on', () => {
    expect(mapInput(payload, { COMPANY: 'lead.company', OWNER: 'lead.owner' })).toEqual({ COMPANY: 'ACME', OWNER: null });
    expect(mapInput(payload, {})).toBe(payload);
  });
});

describe('webhook event types and signatures', () => {
  it('matches exact types, Subject.* and *', () => {
    expect(matchesEventType('Lead.created', 'Lead.created')).toBe(true);
    expect(matchesEventType('Lead.*', 'Lead.created')).toBe(true);
    expect(matchesEventType('Worker.*', 'Worker.task.completed')).toBe(true);
    expect(matchesEventType('Worker.*', 'WorkerX.created')).toBe(false);
    expect(matchesEventType('*', 'Anything.at.all')).toBe(true);
    expect(matchesEventType('Lead.created', 'Lead.created.twice')).toBe(false);
  });

  it('signs t.body with HMAC-SHA256 and verifies within the tolerance only', () => {
    const now = new Date('2026-05-01T10:00:00Z');
    const t = now.getTime() / 1000;
    const header = signPayload('secret-secret-secret', '{"a":1}', t);
    expect(header).toMatch(/^t=1777629600,v1=[0-9a-f]{64}$/);
    expect(verifySignature('secret-secret-secret', '{"a":1}', header, now)).toBe(true);
    expect(verifySignature('secret-secret-secret', '{"a":2}', header, now)).toBe(false);
    expect(verifySignature('other-secret-value', '{"a":1}', header, now)).toBe(false);
    expect(verifySignature('secret-secret-secret', '{"a":1}', header, new Date(now.getTime() + 301_000))).toBe(false);
    expect(verifySignature('secret-secret-secret', '{"a":1}', 'garbage', now)).toBe(false);
  });
});
