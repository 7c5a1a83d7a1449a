/**
 * The event catalogue as the compiler enforces it: `npx tsc --noEmit` checks this file,
 * and every `@ts-expect-error` below fails the type check if the line it marks ever
 * compiles (a misspelt type, a wrong payload, an unknown reaction).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';

import { DOMAIN_EVENT_TYPES, eventTypesOf, type DomainEventPayload } from '../../src/events/catalogue.js';
import type { Outbox } from '../../src/events/outbox.js';
import { Reactions } from '../../src/events/reactions.js';

/** Never called: the type checker reads these calls. */
function appendCalls(outbox: Outbox): void {
  const organizationId = 'org';
  void outbox.append({ organizationId, type: 'Worker.task.started', subjectId: 'w', payload: { taskId: 't', action: 'a', resumed: false } });
  // Outside systems' events take any JSON object, or none.
  void outbox.append({ organizationId, type: 'Lead.created', payload: { company: 'Initech' } });
  void outbox.append({ organizationId, type: 'Lead.lost' });

  // @ts-expect-error a misspelt server event type
  void outbox.append({ organizationId, type: 'Worker.hird', payload: { name: 'n', role: 'r', startDate: 's' } });
  // @ts-expect-error a payload field of the wrong type
  void outbox.append({ organizationId, type: 'Worker.task.started', payload: { taskId: 't', action: 'a', resumed: 'no' } });
  // @ts-expect-error a payload missing a field
  void outbox.append({ organizationId, type: 'Fleet.created', payload: { name: 'Support' } });
  // @ts-expect-error a catalogued event needs its payload
  void outbox.append({ organizationId, type: 'Fleet.updated' });
  // @ts-expect-error Worker.assigned says where the task came from in one field, `origin`
  void outbox.append({ organizationId, type: 'Worker.assigned', payload: { taskId: 't', action: 'a', priority: 'NORMAL', fromQueue: true } });
  // @ts-expect-error an origin with the wrong companion field
  void outbox.append({ organizationId, type: 'Worker.assigned', payload: { taskId: 't', action: 'a', priority: 'NORMAL', origin: 'queue', previousAssigneeId: 'w' } });
}

/** Never called: registrations the type checker accepts and refuses. */
function registrations(reactions: Reactions): void {
  reactions.on('Worker.task.completed', (event) => {
    expectTypeOf(event.type).toEqualTypeOf<'Worker.task.completed'>();
  });
  reactions.on(eventTypesOf('Fleet'), (event) => {
    expectTypeOf(event.type).toEqualTypeOf<Extract<(typeof DOMAIN_EVENT_TYPES)[number], `Fleet.${string}`>>();
  });
  // @ts-expect-error an unknown event type
  reactions.on('Worker.task.finished', () => {});
  // @ts-expect-error outside systems' types are not catalogued: reactions use onEvery for those
  reactions.on('Lead.created', () => {});
}

describe('the event catalogue', () => {
  it('maps each type to its payload', () => {
    expectTypeOf<DomainEventPayload<'Worker.availability.changed'>>().toEqualTypeOf<{
      from: 'AVAILABLE' | 'BUSY' | 'OFFLINE' | 'WORKING';
      to: 'AVAILABLE' | 'BUSY' | 'OFFLINE' | 'WORKING';
    }>();
    expectTypeOf<DomainEventPayload<'Worker.assigned'>['origin']>().toEqualTypeOf<
      'assignTask' | 'assignWork' | 'project' | 'schedule' | 'trigger' | 'queue' | 'retry' | 'prerequisites' | 'rebalance' | 'transfer' | 'reassign'
    >();
    expect(typeof appendCalls).toBe('function');
    expect(typeof registrations).toBe('function');
  });

  it('lists families from the catalogue, not by prefix of whatever arrives', () => {
    expect(DOMAIN_EVENT_TYPES.length).toBeGreaterThanOrEqual(50);
    expect(eventTypesOf('Task')).toEqual(['Task.approved', 'Task.rejected', 'Task.deadLettered', 'Task.retried']);
    expect(eventTypesOf('Team')).toEqual(['Team.created', 'Team.deleted', 'Team.workflow.started', 'Team.workflow.stage.completed', 'Team.workflow.completed', 'Team.workflow.failed']);
    expect(DOMAIN_EVENT_TYPES).toContain('Worker.hired');
    expect(DOMAIN_EVENT_TYPES).not.toContain('Lead.created');
  });
});
