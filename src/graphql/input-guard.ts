/**
 * The input boundary of every field argument, as a Pothos plugin: before a resolver (or
 * the relay plugin's ID decoding) runs, the arguments are checked, and every problem is
 * one {@link ValidationError} naming its path — in the field's result union when it has
 * one (the errors plugin's `unsafelyHandleInputErrors`), else a GraphQL error of code
 * `BAD_USER_INPUT` (mask-errors.ts).
 *
 * - Typed global IDs (`t.globalID({ for: Worker })`) must decode to a node of one of
 *   their types with a UUID key (node-access.ts `decodeGlobalId`): malformed base64, a
 *   Run's ID given for a Worker, a type named `__proto__` or a key that is not a UUID
 *   are refused here, never reach SQL. `node(id)` and `nodes(ids)` are not checked:
 *   they answer null for such IDs, as for a missing object.
 * - Text (String, ID and JSON values, object keys included) may not contain the NUL
 *   character: PostgreSQL cannot store it in text or jsonb.
 *
 * Paths start with the argument's name, except that the fields of the `input` argument
 * of a mutation are named from inside it (`["workerId"]`), like the services' own
 * validation errors. A global ID argument without `for` is refused when the schema is
 * built: every ID argument says which node types it takes.
 */
import SchemaBuilder, {
  BasePlugin,
  mapInputFields,
  PothosSchemaError,
  unwrapInputFieldType,
  type InputFieldsMapping,
  type PothosInputFieldConfig,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from '@pothos/core';
import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';

import { ValidationError, type ValidationIssue } from '../errors.js';
import { decodeGlobalId, isNodeType } from './node-access.js';

/** What is checked of one argument or input field. */
type Check = { kind: 'text'; json: boolean } | { kind: 'globalId'; types: string[] } | { kind: 'nodeId' };

const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}

/** The plugin; add it to the builder's `plugins` after the relay plugin. */
export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  private readonly mappingCache = new Map();

  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const mappings = mapInputFields(fieldConfig.args, this.buildCache, (input) => this.checkOf(input, fieldConfig), this.mappingCache);
    if (!mappings) return fieldConfig;
    const guard = (args: Record<string, unknown>) => {
      const issues: ValidationIssue[] = [];
      checkFields(args, mappings, [], issues);
      if (issues.length > 0) throw new ValidationError(issues.map(({ path, message }) => ({ path: path[0] === 'input' ? path.slice(1) : path, message })));
      return args;
    };
    return { ...fieldConfig, argMappers: [guard, ...fieldConfig.argMappers] };
  }

  override afterBuild(schema: GraphQLSchema): GraphQLSchema {
    const node = schema.getType('Node');
    if (!node || !isInterfaceType(node)) return schema;
    for (const type of schema.getPossibleTypes(node)) {
      if (isObjectType(type) && !isNodeType(type.name)) {
        throw new PothosSchemaError(`Node type ${type.name} has no table in src/graphql/node-access.ts: its global IDs would never decode`);
      }
    }
    return schema;
  }

  private checkOf(input: PothosInputFieldConfig<Types>, field: PothosOutputFieldConfig<Types>): Check | null {
    const extensions = input.extensions ?? {};
    if (extensions.isRelayGlobalID) {
      if (extensions.relayGlobalIDAlwaysParse) return { kind: 'nodeId' };
      const types = extensions.relayGlobalIDFor as Array<{ typename: string }> | undefined;
      if (!types) throw new PothosSchemaError(`${field.parentType}.${field.name}(${input.name}) takes a global ID without \`for\`: name its node types`);
      return { kind: 'globalId', types: types.map(({ typename }) => typename) };
    }
    const type = unwrapInputFieldType(input.type);
    const { kind, name } = this.buildCache.getTypeConfig(type);
    if (kind !== 'Scalar') return null;
    if (name === 'String' || name === 'ID') return { kind: 'text', json: false };
    if (name === 'JSON') return { kind: 'text', json: true };
    return null;
  }
}

const pluginName = 'inputGuard';
SchemaBuilder.registerPlugin(pluginName, InputGuardPlugin);

/** The plugin's name, for the builder's `plugins` list. */
export default pluginName;

/** Checks the values of `values` that `mappings` names, appending problems to `issues`. */
function checkFields<Types extends SchemaTypes>(values: Record<string, unknown>, mappings: InputFieldsMapping<Types, Check>, path: string[], issues: ValidationIssue[]): void {
  for (const [name, mapping] of mappings) {
    eachItem(values[name], mapping.listDepth, [...path, name], (value, at) => {
      if (mapping.kind === 'InputObject') {
        if (mapping.fields.map && typeof value === 'object') checkFields(value as Record<string, unknown>, mapping.fields.map, at, issues);
        return;
      }
      const check = mapping.value;
      if (!check || check.kind === 'nodeId') return;
      if (check.kind === 'text') {
        if (check.json ? containsNul(value) : typeof value === 'string' && value.includes('\0')) issues.push({ path: at, message: NUL_MESSAGE });
        return;
      }
      const decoded = typeof value === 'string' ? decodeGlobalId(value) : undefined;
      if (!decoded || !check.types.includes(decoded.typename)) {
        issues.push({ path: at, message: `must be the global ID of a ${check.types.join(' or ')}` });
      }
    });
  }
}

/** Calls `visit` with each non-null item of `value`, a list nested `listDepth` deep (0: the value itself). */
function eachItem(value: unknown, listDepth: number, path: string[], visit: (item: unknown, path: string[]) => void): void {
  if (value === null || value === undefined) return;
  if (listDepth === 0 || !Array.isArray(value)) return visit(value, path);
  value.forEach((item, index) => eachItem(item, listDepth - 1, [...path, String(index)], visit));
}

/** Whether a JSON value holds a NUL in any string or object key. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([key, item]) => key.includes('\0') || containsNul(item));
  return false;
}
