/**
 * Protocol types as JSON Schema (PROTOCOL.md section 5), for next-message
 * `responseType`: the model is asked for JSON matching the schema, and the reply is
 * validated against it. Properties keep their YAML order, so the JSON's fields do too.
 * Types are inlined: validation rejects recursive types, so inlining terminates.
 */
import type { JSONSchema7 } from 'ai';
import type { PropertySpec, TypeDefinition, TypeName } from './types.js';

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
  const byName = new Map(types.map((type) => [type.name, type]));
  const schemaOf = (type: TypeName): JSONSchema7 => {
    if (type.endsWith('[]')) return { type: 'array', items: schemaOf(type.slice(0, -2)) };
    switch (type) {
      case 'string':
      case 'number':
      case 'integer':
      case 'boolean':
        return { type };
      case 'unknown':
        return {};
      case 'file':
        return FILE_SCHEMA;
    }
    const definition = byName.get(type);
    if (!definition) throw new Error(`Unknown type "${type}".`);
    switch (definition.kind) {
      case 'object':
        return {
          type: 'object',
          properties: Object.fromEntries(definition.properties.map((property) => [property.name, propertySchema(property)])),
          required: definition.properties.filter((property) => !property.optional).map((property) => property.name),
          additionalProperties: false,
        };
      case 'array':
        return { type: 'array', items: schemaOf(definition.items.type), ...(definition.description ? { description: definition.description } : {}) };
      case 'union':
        return { anyOf: definition.anyOf.map(schemaOf) };
    }
  };
  const propertySchema = (property: PropertySpec): JSONSchema7 => {
    const schema: JSONSchema7 =
      property.type === 'array' && property.items ? { type: 'array', items: schemaOf(property.items.type) } : { ...schemaOf(property.type) };
    if (property.description) schema.description = property.description;
    if (property.enum) schema.enum = property.enum;
    if (property.const !== undefined) schema.const = property.const;
    return schema;
  };
  return schemaOf(name);
}
