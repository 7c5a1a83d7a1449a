/**
 * Checking and completing a run's input before any step (docs/protocol.md section 4):
 * required inputs present, `enum` respected, types checked loosely, defaults applied,
 * omitted optional inputs recorded (they read as `NONE` in prompts, section 16).
 */
import { ExecutionFailure } from './execution-errors.js';
import type { InputDeclaration, Protocol, TypeDefinition } from './types.js';
import { elementTypeName } from './validate-types.js';

/** A run's input after checking. */
export interface PreparedInput {
  /** Supplied values (coerced where loose typing allows) and applied defaults. */
  values: Record<string, unknown>;
  /** Optional inputs the caller omitted and that have no default. */
  omitted: ReadonlySet<string>;
}

/**
 * Checks `input` against the protocol's `input:` declarations.
 *
 * Loose typing: `number`/`integer` accept numeric strings, `boolean` accepts `"true"`
 * and `"false"` (both converted), `string` accepts numbers and booleans (converted);
 * `X[]` needs an array whose elements pass for `X`; a custom object or union type needs
 * an object, a custom array type an array; `file` needs `{id, mediaType, url}`;
 * `unknown` takes anything. `null` counts as omitted. Undeclared names are rejected.
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
  for (const name of Object.keys(input)) {
    if (!declared.has(name)) problems.push(`Unknown input "${name}"${declared.size > 0 ? `; declared: ${[...declared.keys()].join(', ')}` : ''}.`);
  }
  for (const declaration of protocol.input) {
    const supplied = Object.hasOwn(input, declaration.name) ? input[declaration.name] : undefined;
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
  return { values, omitted };
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
