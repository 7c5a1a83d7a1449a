/**
 * Problems found while loading a protocol package (docs/protocol.md section 15): YAML syntax,
 * settings, structure, references, prompts. Each points at the offending YAML node.
 */

/** `error` blocks the protocol; `warning` does not (section 15). */
export type DiagnosticSeverity = 'error' | 'warning';

/**
 * One problem in a protocol package.
 *
 * - `line`/`column` are 1-based and point at the offending YAML node of
 *   `protocol.yaml`; both are `null` when the problem has no place in it (settings.json,
 *   a prompt file, a missing section).
 * - `path` locates the problem in the protocol's structure, e.g.
 *   `['steps', 'Generate title', 'output']`; for a prompt it is `['prompts', name]`, for
 *   settings `['settings', field]`.
 */
export interface Diagnostic {
  severity: DiagnosticSeverity;
  message: string;
  line: number | null;
  column: number | null;
  path: string[];
}

/** Whether any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `path:line:column: severity: message`, one line, for logs and CLI output. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.line === null ? '' : `${diagnostic.line}:${diagnostic.column ?? 1}: `;
  const path = diagnostic.path.length > 0 ? ` (at ${diagnostic.path.join(' > ')})` : '';
  return `${where}${diagnostic.severity}: ${diagnostic.message}${path}`;
}

/**
 * Thrown when a protocol that must be valid is not (`loadProtocolPackageOrThrow`);
 * carries every diagnostic, warnings included, so that the caller can report them all.
 */
export class ProtocolValidationError extends Error {
  override readonly name = 'ProtocolValidationError';
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[], message?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      message ??
        `Protocol is invalid: ${errors.length} error${errors.length === 1 ? '' : 's'}` +
          (errors[0] ? `; first: ${formatDiagnostic(errors[0])}` : ''),
    );
    this.diagnostics = diagnostics;
  }
}
