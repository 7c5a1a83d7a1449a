/**
 * Shared state of one validation pass (validate.ts and its helpers): the protocol,
 * where each path was written, lookups of declarations, and the diagnostics found.
 */
import type { Diagnostic, DiagnosticSeverity } from './diagnostics.js';
import { positionInText } from './prompt-template.js';
import type { InputDeclaration, Protocol, ResourceDeclaration, TypeDefinition, VariableDeclaration } from './types.js';
import type { SourceMap } from './yaml-reader.js';

/** A declared input, variable or resource, tagged with its section. */
export type Declaration =
  | { section: 'input'; declaration: InputDeclaration }
  | { section: 'variables'; declaration: VariableDeclaration }
  | { section: 'resources'; declaration: ResourceDeclaration };

export class ValidationContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly #declarations = new Map<string, Declaration>();
  readonly #types: Map<string, TypeDefinition>;
  readonly #prompts: Map<string, string>;

  constructor(
    readonly protocol: Protocol,
    private readonly sourceMap: SourceMap,
  ) {
    // First declaration wins; duplicates are reported by the name checks.
    const all: Declaration[] = [
      ...protocol.input.map((declaration) => ({ section: 'input' as const, declaration })),
      ...protocol.variables.map((declaration) => ({ section: 'variables' as const, declaration })),
      ...protocol.resources.map((declaration) => ({ section: 'resources' as const, declaration })),
    ];
    for (const entry of all) if (!this.#declarations.has(entry.declaration.name)) this.#declarations.set(entry.declaration.name, entry);
    this.#types = new Map(protocol.types.map((type) => [type.name, type]));
    this.#prompts = new Map(protocol.prompts.map((prompt) => [prompt.name, prompt.content]));
  }

  /** The input, variable or resource called `name`. */
  declaration(name: string): Declaration | undefined {
    return this.#declarations.get(name);
  }

  type(name: string): TypeDefinition | undefined {
    return this.#types.get(name);
  }

  /** The text of prompt `name`. */
  prompt(name: string): string | undefined {
    return this.#prompts.get(name);
  }

  /** Reports at the protocol.yaml position of `path` (or its nearest recorded ancestor). */
  report(severity: DiagnosticSeverity, path: readonly string[], message: string): void {
    const position = this.sourceMap.get(path);
    this.diagnostics.push({ severity, message, line: position?.line ?? null, column: position?.column ?? null, path: [...path] });
  }

  error(path: readonly string[], message: string): void {
    this.report('error', path, message);
  }

  warning(path: readonly string[], message: string): void {
    this.report('warning', path, message);
  }

  /** Reports an error inside prompt file `prompt`, at `offset` of its text. */
  promptError(prompt: string, offset: number, message: string): void {
    const { line, column } = positionInText(this.#prompts.get(prompt) ?? '', offset);
    this.diagnostics.push({ severity: 'error', message: `prompts/${prompt}.md: ${message}`, line, column, path: ['prompts', prompt] });
  }
}
