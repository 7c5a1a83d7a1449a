/**
 * The names a running protocol can read (inputs, variables, resources) and the
 * resolution of dynamic settings (docs/protocol.md section 9).
 */
import { ExecutionFailure } from './execution-errors.js';
import type { RunState } from './execution-types.js';
import { MODEL_ID } from './naming.js';
import { positiveIntegerLiteral, temperatureLiteral } from './parse-steps.js';
import type { ScopeEntry } from './render.js';
import type { PreparedInput } from './run-input.js';
import { THINKING_LEVELS, type Protocol, type ThinkingLevel, type ValueSource } from './types.js';

/** Reads names for prompts, mappings and dynamic settings during one run. */
export class RunScope {
  readonly #inputs: ReadonlySet<string>;
  /** Declared resource defaults; `state.resources` holds what set-resource wrote. */
  readonly #resourceDefaults: ReadonlyMap<string, unknown>;

  constructor(
    protocol: Protocol,
    private readonly input: PreparedInput,
    private readonly state: RunState,
  ) {
    this.#inputs = new Set(protocol.input.map((declaration) => declaration.name));
    this.#resourceDefaults = new Map(protocol.resources.map((resource) => [resource.name, resource.default]));
  }

  /**
   * The value behind `name` (section 2 and 16): a supplied or defaulted input is `set`,
   * an omitted optional input `omitted`, a variable or resource without a value `unset`;
   * a context input the protocol does not declare comes last.
   */
  lookup = (name: string): ScopeEntry => {
    if (this.#inputs.has(name)) {
      if (Object.hasOwn(this.input.values, name)) return { state: 'set', value: this.input.values[name] };
      return this.input.omitted.has(name) ? { state: 'omitted' } : { state: 'unset' };
    }
    if (Object.hasOwn(this.state.variables, name)) return { state: 'set', value: this.state.variables[name] };
    const written = this.state.resources;
    const resource = written && Object.hasOwn(written, name) ? written[name] : this.#resourceDefaults.get(name);
    if (resource !== undefined) return { state: 'set', value: resource };
    return Object.hasOwn(this.input.context, name) ? { state: 'set', value: this.input.context[name] } : { state: 'unset' };
  };

  /** The context inputs this run received (section 4, "Context inputs"), read by prompts without a mapping. */
  get contextNames(): readonly string[] {
    return Object.keys(this.input.context);
  }

  /** The value of `source`, or undefined when a reference has no value ("not provided"). */
  #value(source: ValueSource<unknown>): unknown {
    if (source.kind === 'literal') return source.value;
    const entry = this.lookup(source.name);
    return entry.state === 'set' && entry.value !== null ? entry.value : undefined;
  }

  /**
   * Resolves a dynamic field: undefined when a reference is not provided (the setting
   * stays unset, section 9); the parsed value when valid.
   * @throws ExecutionFailure (`validation_error`) when a reference holds an invalid value.
   */
  resolve<T>(source: ValueSource<T> | undefined, field: string, parse: (value: unknown) => T | undefined, expected: string): T | undefined {
    if (!source) return undefined;
    const value = this.#value(source);
    if (value === undefined) return undefined;
    const parsed = parse(value);
    if (parsed === undefined) {
      const where = source.kind === 'reference' ? `\`${source.name}\` (used as \`${field}\`)` : `\`${field}\``;
      throw new ExecutionFailure('validation_error', `${where} must be ${expected}; got ${JSON.stringify(value)}.`);
    }
    return parsed;
  }

  /** A model id field (`model`, `backupModel`). */
  model(source: ValueSource<string> | undefined, field: string): string | undefined {
    return this.resolve(source, field, (value) => (typeof value === 'string' && MODEL_ID.test(value) ? value : undefined), 'a model id like `openai/gpt-4o`');
  }

  /** `temperature`: 0–2, a numeric string, or `off` (section 9). */
  temperature(source: ValueSource<number | 'off'> | undefined): number | 'off' | undefined {
    return this.resolve(source, 'temperature', temperatureLiteral, 'a number from 0 to 2 or "off"');
  }

  /** `thinking`: `low`, `medium`, `high`, `max` or `off` (section 9). */
  thinking(source: ValueSource<ThinkingLevel> | undefined): ThinkingLevel | undefined {
    return this.resolve(
      source,
      'thinking',
      (value) => ((THINKING_LEVELS as readonly unknown[]).includes(value) ? (value as ThinkingLevel) : undefined),
      'one of low, medium, high, max, off',
    );
  }

  /** `maxSteps`: a positive integer or its string form (section 9). */
  maxSteps(source: ValueSource<number> | undefined): number | undefined {
    return this.resolve(source, 'maxSteps', positiveIntegerLiteral, 'a positive integer');
  }
}
