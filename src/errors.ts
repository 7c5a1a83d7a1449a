/**
 * Expected failures of the domain services. They know nothing of GraphQL; the schema maps
 * each class to its error type (every error implements `Error`).
 */
import type { Diagnostic } from './engine/diagnostics.js';

/** Base class: every expected failure has a message a client can show. */
export abstract class DomainError extends Error {}

/** The entity `id` of kind `entity` does not exist (or belongs to another organisation). */
export class NotFoundError extends DomainError {
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} was not found`);
    this.name = 'NotFoundError';
  }
}

/** One problem of a {@link ValidationError}: where (input path) and what. */
export interface ValidationIssue {
  path: string[];
  message: string;
}

/** Input broke one or more rules; each issue names its path inside the input. */
export class ValidationError extends DomainError {
  constructor(readonly issues: ValidationIssue[]) {
    super(
      issues.length === 1
        ? `Invalid input at ${formatPath(issues[0]!.path)}: ${issues[0]!.message}`
        : `Invalid input: ${issues.length} problems (${issues.map((i) => formatPath(i.path)).join(', ')})`,
    );
    this.name = 'ValidationError';
  }
}

/** A state machine refused a move, e.g. a run that is COMPLETED cannot be cancelled. */
export class InvalidTransitionError extends DomainError {
  constructor(
    readonly entity: string,
    readonly from: string,
    readonly to: string,
    detail?: string,
  ) {
    super(`${entity} cannot go from ${from} to ${to}${detail ? `: ${detail}` : ''}`);
    this.name = 'InvalidTransitionError';
  }
}

/** A protocol package failed to parse or validate; diagnostics carry line and column. */
export class ProtocolError extends DomainError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    super(
      first
        ? `Protocol is invalid: ${first.message}${first.line ? ` (line ${first.line}, column ${first.column})` : ''}${
            errors.length > 1 ? ` and ${errors.length - 1} more` : ''
          }`
        : 'Protocol is invalid',
    );
    this.name = 'ProtocolError';
  }
}

/** The caller may not do this. */
export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super(message);
    this.name = 'ForbiddenError';
  }
}

function formatPath(path: string[]): string {
  return path.length ? path.join('.') : '(input)';
}
