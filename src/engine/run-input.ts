/**
 * Checking and completing a run's input before any step (docs/protocol.md section 4):
 * required inputs present, `enum` respected, types checked loosely, defaults applied,
 * omitted optional inputs recorded (they read as `NONE` in prompts, section 16).
 */
import { ExecutionFailure } from './execution-errors.js';
import type { InputDeclaration, Protocol, TypeDefinition } from './types.js';
import { elementTypeName } from './validate-types.js';

/**
 * Context inputs (docs/protocol.md section 4, "Context inputs"): names every run may
 * receive without the protocol declaring them. A worker's task passes its worker as
 * `WORKER` and the task as `TASK`; prompts read them without an `input` mapping, with dot
 * paths (`{{WORKER.persona.background}}`). A protocol that declares one of these names
 * gets it as an ordinary input instead.
 */
export const CONTEXT_INPUTS: readonly string[] = ['WORKER', 'TASK'];

/** A run's input after checking. */
export interface PreparedInput {
  /** Supplied values (coerced where loose typing allows) and applied defaults. */
  values: Record<string, unknown>;
  /** Optional inputs the caller omitted and that have no default. */
  omitted: ReadonlySet<string>;
  /** Supplied context inputs the protocol does not declare ({@link CONTEXT_INPUTS}), unchecked. */
  context: Record<string, unknown>;
}

/**
 * The declared input name an input key stands for (docs/protocol.md section 4, "Input
 * keys"): the key itself when declared, else the declared name equal to the key in
 * UPPER_SNAKE_CASE (`lead` → `LEAD`, `leadId`, `lead_id` and `lead-id` → `LEAD_ID`), else
 * undefined.
 */
export function declaredNameOf(key: string, declared: ReadonlySet<string>): string | undefined {
  if (declared.has(key)) return key;
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toUpperCase();
  return declared.has(snake) ? snake : undefined;
}

/**
 * Checks `input` against the protocol's `input:` declarations.
 *
 * Loose typing: `number`/`integer` accept numeric strings, `boolean` accepts `"true"`
 * and `"false"` (both converted), `string` accepts numbers and booleans (converted);
 * `X[]` needs an array whose elements pass for `X`; a custom object or union type needs
 * an object, a custom array type an array; `file` needs `{id, mediaType, url}`;
 * `unknown` takes anything. `null` counts as omitted. A key meets a declared input by
 * {@link declaredNameOf}; context inputs pass unchecked; other keys are rejected.
 * @throws ExecutionFailure (`validation_error`) listing every problem.
 */
export function prepareInput(protocol: Protocol, input: Record<string, unknown>): PreparedInput {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const omitted = new Set<string>();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ExecutionFailure('validation_error', 'The input must be an object of input names to values.');
  }
  const declared = new Map(protocol.input.map((declaration) => [declaration.name, declaration]));
  const names = new Set(declared.keys());
  const context: Record<string, unknown> = {};
  /** Declared name → the key that supplies it. */
  const keys = new Map<string, string>();
  for (const key of Object.keys(input)) {
    const name = declaredNameOf(key, names);
    if (name === undefined && CONTEXT_INPUTS.includes(key)) context[key] = input[key];
    else if (name === undefined) problems.push(unknownInput(key, names));
    else if (keys.has(name)) problems.push(`Inputs "${keys.get(name)}" and "${key}" both stand for "${name}"; give one.`);
    else keys.set(name, key);
  }
  for (const declaration of protocol.input) {
    const key = keys.get(declaration.name);
    const supplied = key === undefined ? undefined : input[key];
    if (supplied === undefined || supplied === null) {
      if (declaration.default !== undefined) values[declaration.name] = declaration.default;
      else if (declaration.optional) omitted.add(declaration.name);
      else problems.push(`Missing required input "${declaration.name}".`);
      continue;
    }
    const checked = checkValue(supplied, declaration.type, protocol.types);
    if (!checked.ok) {
      problems.push(`Input "${declaration.name}" must be ${describeType(declaration.type)}.`);
      continue;
    }
    if (!inEnum(declaration, checked.value)) {
      problems.push(`Input "${declaration.name}" must be one of ${declaration.enum?.map((v) => `"${v}"`).join(', ')}; got "${String(checked.value)}".`);
      continue;
    }
    values[declaration.name] = checked.value;
  }
  if (problems.length > 0) throw new ExecutionFailure('validation_error', problems.join(' '));
  return { values, omitted, context };
}

function unknownInput(key: string, declared: ReadonlySet<string>): string {
  if (declared.size === 0) return `Unknown input "${key}": the protocol declares no inputs.`;
  return `Unknown input "${key}"; declared: ${[...declared].join(', ')} (a key is a declared name or that name in camelCase or snake_case, e.g. "lead" for LEAD).`;
}

function inEnum(declaration: InputDeclaration, value: unknown): boolean {
  return !declaration.enum || (typeof value === 'string' && declaration.enum.includes(value));
}

function describeType(type: string): string {
  if (type.endsWith('[]')) return `a list of ${elementTypeName(type)}`;
  return ['integer', 'unknown'].includes(type) ? `an ${type}` : `a ${type}`;
}

type Checked = { ok: true; value: unknown } | { ok: false };

/** Loose check (and coercion) of `value` against `type` (see `prepareInput`). */
function checkValue(value: unknown, type: string, types: readonly TypeDefinition[]): Checked {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) return { ok: false };
    const items: unknown[] = [];
    for (const item of value) {
      const checked = checkValue(item, type.slice(0, -2), types);
      if (!checked.ok) return checked;
      items.push(checked.value);
    }
    return { ok: true, value: items };
  }
  switch (type) {
    case 'unknown':
      return { ok: true, value };
    case 'string':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? { ok: true, value: String(value) } : { ok: false };
    case 'number':
    case 'integer': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      const ok = typeof number === 'number' && Number.isFinite(number) && (type === 'number' || Number.isInteger(number));
      return ok ? { ok: true, value: number } : { ok: false };
    }
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      return value === 'true' || value === 'false' ? { ok: true, value: value === 'true' } : { ok: false };
    case 'file':
      return isFile(value) ? { ok: true, value } : { ok: false };
    default: {
      const custom = types.find((candidate) => candidate.name === type);
      const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
      if (custom?.kind === 'array') return Array.isArray(value) ? { ok: true, value } : { ok: false };
      return isObject ? { ok: true, value } : { ok: false };
    }
  }
}

/** A `file` value: `{id, mediaType, url, filename?, size?, width?, height?}` (section 4). */
function isFile(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Record<string, unknown>;
  return typeof file.id === 'string' && typeof file.mediaType === 'string' && typeof file.url === 'string';
}
