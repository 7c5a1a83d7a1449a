/**
 * Protocol types as JSON Schema (docs/protocol.md sections 4–6), and validation against them.
 *
 * The JSON Schema is the one source: it is what the model is given (next-message
 * `responseType`, tool `parameters`, a worker's `input:` when the worker is offered as a
 * tool), and the validator that checks what comes back is compiled from it (zod's
 * `fromJSONSchema`). Properties keep their YAML order, so the JSON's fields do too.
 * Types are inlined: validation rejects recursive types, so inlining terminates.
 */
import type { JSONSchema7 } from 'ai';
import { z } from 'zod';
import type { InputDeclaration, PropertySpec, TypeDefinition, TypeName } from './types.js';

const FILE_SCHEMA: JSONSchema7 = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    mediaType: { type: 'string' },
    url: { type: 'string' },
    filename: { type: 'string' },
    size: { type: 'number' },
    width: { type: 'number' },
    height: { type: 'number' },
  },
  required: ['id', 'mediaType', 'url'],
  additionalProperties: false,
};

/**
 * The JSON Schema of type `name` among `types`.
 * @throws Error for an unknown type name (validation reports those at load).
 */
export function typeJsonSchema(name: TypeName, types: readonly TypeDefinition[]): JSONSchema7 {
  if (name.endsWith('[]')) return { type: 'array', items: typeJsonSchema(name.slice(0, -2), types) };
  switch (name) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return { type: name };
    case 'unknown':
      return {};
    case 'file':
      return FILE_SCHEMA;
  }
  const definition = types.find((type) => type.name === name);
  if (!definition) throw new Error(`Unknown type "${name}".`);
  switch (definition.kind) {
    case 'object':
      return objectJsonSchema(definition.properties, types);
    case 'array':
      return { type: 'array', items: typeJsonSchema(definition.items.type, types), ...(definition.description ? { description: definition.description } : {}) };
    case 'union':
      return { anyOf: definition.anyOf.map((variant) => typeJsonSchema(variant, types)) };
  }
}

/**
 * A closed object of `properties` (an object type, section 5, or a tool's `parameters`,
 * section 6): each property required unless `optional: true`, no other keys.
 */
export function objectJsonSchema(properties: readonly PropertySpec[], types: readonly TypeDefinition[]): JSONSchema7 {
  return {
    type: 'object',
    properties: Object.fromEntries(properties.map((property) => [property.name, propertySchema(property, types)])),
    required: properties.filter((property) => !property.optional).map((property) => property.name),
    additionalProperties: false,
  };
}

function propertySchema(property: PropertySpec, types: readonly TypeDefinition[]): JSONSchema7 {
  const schema: JSONSchema7 =
    property.type === 'array' && property.items ? { type: 'array', items: typeJsonSchema(property.items.type, types) } : { ...typeJsonSchema(property.type, types) };
  if (property.description) schema.description = property.description;
  if (property.enum) schema.enum = property.enum;
  if (property.const !== undefined) schema.const = property.const;
  return schema;
}

/**
 * A worker's `input:` as the parameters of a tool (section 11, a worker offered to a
 * model): one property per input, required unless `optional` or defaulted.
 */
export function inputsJsonSchema(inputs: readonly InputDeclaration[], types: readonly TypeDefinition[]): JSONSchema7 {
  const properties = Object.fromEntries(
    inputs.map((input) => {
      const schema: JSONSchema7 = { ...typeJsonSchema(input.type, types) };
      if (input.description) schema.description = input.description;
      if (input.enum) schema.enum = input.enum;
      return [input.name, schema];
    }),
  );
  const required = inputs.filter((input) => !input.optional && input.default === undefined).map((input) => input.name);
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The outcome of checking a value against a schema. */
export type SchemaCheck = { ok: true; value: unknown } | { ok: false; message: string };

/** A compiled check of values against one JSON Schema. */
export type SchemaValidator = (value: unknown) => SchemaCheck;

/**
 * Compiles `schema` into a validator. A failure's `message` lists every problem, one
 * per line, with its path (zod's `prettifyError`), e.g. `✖ Invalid input: expected
 * string, received number\n  → at orderId`.
 */
export function schemaValidator(schema: JSONSchema7): SchemaValidator {
  const compiled = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  return (value) => {
    const result = compiled.safeParse(value);
    return result.success ? { ok: true, value: result.data } : { ok: false, message: z.prettifyError(result.error) };
  };
}
