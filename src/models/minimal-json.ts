/**
 * The smallest JSON value that satisfies a JSON Schema. The offline model answers structured
 * output calls (`responseFormat: { type: 'json', schema }`) and forced tool calls with it.
 *
 * Understands the keywords that `zodSchema()` / `jsonSchema()` produce (draft-07 plus the
 * 2020-12 `$defs` and `prefixItems`): `$ref` to the same document, `const`, `enum`, `anyOf`,
 * `oneOf`, `allOf`, `type` (or one inferred from other keywords), string `minLength` and
 * `format`, numeric bounds and `multipleOf`, `items`, `minItems`, `properties` and `required`.
 * Keywords it cannot honour without search (`pattern`, `not`, `uniqueItems`) are ignored.
 */
import type { JSONObject, JSONValue } from '@ai-sdk/provider';

type SchemaObject = { readonly [keyword: string]: unknown };

/** Deep enough for real schemas; stops a recursive `$ref` chain whose members are required. */
const MAX_DEPTH = 32;

/** Example strings for the `format`s a schema may require (the empty string fits no format). */
const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  'date-time': '1970-01-01T00:00:00.000Z',
  date: '1970-01-01',
  time: '00:00:00',
  duration: 'PT0S',
  email: 'offline@example.com',
  hostname: 'example.com',
  ipv4: '0.0.0.0',
  ipv6: '::',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/**
 * Builds the minimal value for `schema`: `const`, else the first `enum` value, else by type —
 * `''` (padded to `minLength`, or an example for a known `format`), `0` (moved into the
 * bounds), `false`, `null`, `minItems` minimal items, an object holding only the `required`
 * properties. Union types and `anyOf`/`oneOf` take their first non-null member.
 * The same schema always gives the same value. `true`, `{}` and unknown input give `null`.
 */
export function minimalJsonValue(schema: unknown): JSONValue {
  return valueFor(schema, schema, 0);
}

function valueFor(schema: unknown, root: unknown, depth: number): JSONValue {
  if (!isSchemaObject(schema) || depth > MAX_DEPTH) return null;
  const next = (sub: unknown) => valueFor(sub, root, depth + 1);

  if (typeof schema.$ref === 'string') return next(resolveRef(schema.$ref, root));
  if ('const' in schema) return schema.const as JSONValue;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as JSONValue;
  const union = arrayOf(schema.anyOf) ?? arrayOf(schema.oneOf);
  if (union?.length) return next(union.find((member) => !isNullSchema(member)) ?? union[0]);
  const all = arrayOf(schema.allOf);
  if (all?.length) return mergeObjects(all.map(next));

  switch (typeOf(schema)) {
    case 'string':
      return stringFor(schema);
    case 'number':
      return numberFor(schema, false);
    case 'integer':
      return numberFor(schema, true);
    case 'boolean':
      return false;
    case 'array':
      return arrayFor(schema, next);
    case 'object':
      return objectFor(schema, next);
    default:
      return null;
  }
}

function typeOf(schema: SchemaObject): string | undefined {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? 'null';
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema || 'exclusiveMinimum' in schema || 'multipleOf' in schema) return 'number';
  if ('minLength' in schema || 'format' in schema) return 'string';
  return undefined;
}

function stringFor(schema: SchemaObject): string {
  const example = typeof schema.format === 'string' ? FORMAT_EXAMPLES[schema.format] : undefined;
  return example ?? 'x'.repeat(numberOr(schema.minLength, 0));
}

/** 0 when allowed; otherwise the bound nearest to 0, stepped inside exclusive bounds. */
function numberFor(schema: SchemaObject, integer: boolean): number {
  const min = numberOr(schema.minimum, -Infinity);
  const exclusiveMin = numberOr(schema.exclusiveMinimum, -Infinity);
  const max = numberOr(schema.maximum, Infinity);
  const exclusiveMax = numberOr(schema.exclusiveMaximum, Infinity);
  const above = (v: number) => v >= min && v > exclusiveMin;
  const below = (v: number) => v <= max && v < exclusiveMax;

  let value = 0;
  if (!above(value)) value = min > exclusiveMin ? min : exclusiveMin + 1;
  else if (!below(value)) value = max < exclusiveMax ? max : exclusiveMax - 1;
  if (!above(value) || !below(value)) value = (Math.max(min, exclusiveMin) + Math.min(max, exclusiveMax)) / 2;

  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : 0;
  if (step > 0 && value % step !== 0) value = Math.ceil(value / step) * step;
  return value;
}

function arrayFor(schema: SchemaObject, next: (sub: unknown) => JSONValue): JSONValue[] {
  const tuple = arrayOf(schema.prefixItems) ?? arrayOf(schema.items) ?? [];
  const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
  const length = Math.max(tuple.length, numberOr(schema.minItems, 0));
  return Array.from({ length }, (_, index) => next(index < tuple.length ? tuple[index] : rest));
}

function objectFor(schema: SchemaObject, next: (sub: unknown) => JSONValue): JSONObject {
  const properties = isSchemaObject(schema.properties) ? schema.properties : {};
  const required = arrayOf(schema.required)?.filter((key): key is string => typeof key === 'string') ?? [];
  const value: JSONObject = {};
  for (const key of required) {
    value[key] = next(Object.hasOwn(properties, key) ? properties[key] : schema.additionalProperties);
  }
  return value;
}

/** `allOf` members are usually object fragments: merge them; otherwise keep the first value. */
function mergeObjects(values: JSONValue[]): JSONValue {
  const objects = values.filter(isJsonObject);
  return objects.length === values.length ? objects.reduce<JSONObject>((merged, o) => ({ ...merged, ...o }), {}) : (values[0] ?? null);
}

/** Resolves a same-document reference: `#`, `#/$defs/Name`, `#/definitions/Name`, any JSON pointer. */
function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#')) return undefined;
  const tokens = ref.slice(1).split('/').slice(1);
  let node: unknown = root;
  for (const token of tokens) {
    const key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isSchemaObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function isNullSchema(schema: unknown): boolean {
  return isSchemaObject(schema) && schema.type === 'null';
}

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonObject(value: JSONValue): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
