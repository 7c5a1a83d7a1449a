/**
 * GraphQL error types: every expected failure is an object type
 * implementing `interface Error { message }`, returned in a mutation's result union.
 */
import {
  DomainError,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  ProtocolError,
  ValidationError,
  type ValidationIssue,
} from '../errors.js';
import type { Diagnostic } from '../engine/diagnostics.js';
import { builder } from './builder.js';

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'Implemented by every expected failure; clients can always select `... on Error { message }`.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The object named in the input does not exist.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    entity: t.exposeString('entity', { description: 'Kind of the missing object, e.g. `Worker`.' }),
  }),
});

const ValidationIssueRef = builder.objectRef<ValidationIssue>('ValidationIssue').implement({
  description: 'One problem of an input: where and what.',
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'Path of the offending field inside `input`.' }),
    message: t.exposeString('message', { description: 'What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input broke one or more rules.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [ValidationIssueRef], description: 'Every problem found.', resolve: (e) => e.issues }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: 'InvalidTransitionError',
  description: 'The object is in a state from which this change is not allowed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    from: t.exposeString('from', { description: 'The current state.' }),
    to: t.exposeString('to', { description: 'The state that was asked for.' }),
  }),
});

export const DiagnosticSeverity = builder.enumType('DiagnosticSeverity', {
  description: 'Whether a diagnostic blocks the protocol.',
  values: {
    ERROR: { value: 'error', description: 'The protocol cannot be stored or run.' },
    WARNING: { value: 'warning', description: 'Allowed, but probably not what was meant.' },
  } as const,
});

export const DiagnosticRef = builder.objectRef<Diagnostic>('Diagnostic').implement({
  description: 'A problem found in a protocol package, with its position in the YAML.',
  fields: (t) => ({
    severity: t.field({ type: DiagnosticSeverity, description: 'ERROR or WARNING.', resolve: (d) => d.severity }),
    message: t.exposeString('message', { description: 'What is wrong.' }),
    line: t.exposeInt('line', { nullable: true, description: '1-based line in the protocol YAML, when known.' }),
    column: t.exposeInt('column', { nullable: true, description: '1-based column in the protocol YAML, when known.' }),
    path: t.exposeStringList('path', {
      description: 'Path of the offending node, e.g. ["steps", "Generate title", "output"].',
    }),
  }),
});

builder.objectType(ProtocolError, {
  name: 'ProtocolError',
  description: 'The protocol package failed to parse or validate; nothing was stored.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    diagnostics: t.field({ type: [DiagnosticRef], description: 'Errors and warnings, in source order.', resolve: (e) => e.diagnostics }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'The caller is not allowed to do this.',
  interfaces: [ErrorInterface],
});
