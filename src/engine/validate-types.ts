/**
 * Type rules (docs/protocol.md section 5, checked at load): PascalCase names and camelCase
 * properties, every referenced type exists, unions have at least two object variants
 * with distinct discriminator constants, no recursive types.
 */
import { CAMEL_CASE, PASCAL_CASE } from './naming.js';
import { BUILT_IN_TYPES, type TypeDefinition, type TypeName } from './types.js';
import type { ValidationContext } from './validation-context.js';

/** `X[]` → `X` (any depth); anything else unchanged. */
export function elementTypeName(type: TypeName): string {
  return type.endsWith('[]') ? elementTypeName(type.slice(0, -2)) : type;
}

/** Whether `type` is a built-in type name (section 4), ignoring `[]`. */
export function isBuiltInType(type: TypeName): boolean {
  return (BUILT_IN_TYPES as readonly string[]).includes(elementTypeName(type));
}

/**
 * Reports an unknown type name at `path`. `array` is only legal where `items` follows
 * (type properties), so callers pass `allowArray`.
 */
export function checkTypeReference(ctx: ValidationContext, type: TypeName, path: readonly string[], allowArray = false): void {
  const base = elementTypeName(type);
  if (allowArray && type === 'array') return;
  if (base === 'array' || base === 'object') {
    ctx.error(path, `There is no bare \`${base}\` type; use \`X[]\`, a custom type or \`unknown\`.`);
  } else if (!isBuiltInType(base) && !ctx.type(base)) {
    ctx.error(path, `Unknown type \`${base}\`; declare it under \`types:\` or use a built-in type (${BUILT_IN_TYPES.join(', ')}).`);
  }
}

/** Runs every section 5 rule on `types:`. */
export function validateTypes(ctx: ValidationContext): void {
  for (const type of ctx.protocol.types) {
    const path = ['types', type.name];
    if (!PASCAL_CASE.test(type.name)) ctx.error(path, `Type name \`${type.name}\` must be PascalCase.`);
    switch (type.kind) {
      case 'object':
        for (const property of type.properties) {
          const propertyPath = [...path, property.name];
          if (!CAMEL_CASE.test(property.name)) ctx.error(propertyPath, `Property name \`${property.name}\` must be camelCase.`);
          checkTypeReference(ctx, property.type, [...propertyPath, 'type'], true);
          if (property.items) checkTypeReference(ctx, property.items.type, [...propertyPath, 'items']);
        }
        break;
      case 'array':
        checkTypeReference(ctx, type.items.type, [...path, 'items']);
        break;
      case 'union':
        validateUnion(ctx, type, path);
        break;
    }
  }
  reportCycles(ctx);
}

function validateUnion(ctx: ValidationContext, union: Extract<TypeDefinition, { kind: 'union' }>, path: string[]): void {
  if (union.anyOf.length < 2) ctx.error([...path, 'anyOf'], `Union \`${union.name}\` needs at least two variants.`);
  const seen = new Map<string, string>();
  union.anyOf.forEach((variantName, index) => {
    const variantPath = [...path, 'anyOf', String(index)];
    const variant = ctx.type(variantName);
    if (!variant) return ctx.error(variantPath, `Unknown type \`${variantName}\` in union \`${union.name}\`.`);
    if (variant.kind !== 'object') return ctx.error(variantPath, `Union variant \`${variantName}\` must be an object type.`);
    const discriminator = variant.properties.find((property) => property.name === union.discriminator);
    if (discriminator?.const === undefined) {
      return ctx.error(variantPath, `Variant \`${variantName}\` needs a property \`${union.discriminator}\` with a \`const\` (the discriminator).`);
    }
    const key = String(discriminator.const);
    const clash = seen.get(key);
    if (clash) ctx.error(variantPath, `Variants \`${clash}\` and \`${variantName}\` share the discriminator value "${key}".`);
    seen.set(key, variantName);
  });
}

/** The custom types `type` refers to directly. */
function referencedTypes(type: TypeDefinition): string[] {
  switch (type.kind) {
    case 'object':
      return type.properties.flatMap((property) => [property.type, ...(property.items ? [property.items.type] : [])]).map(elementTypeName);
    case 'array':
      return [elementTypeName(type.items.type)];
    case 'union':
      return type.anyOf;
  }
}

/** Reports each recursive type once (section 5: no recursive types). */
function reportCycles(ctx: ValidationContext): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    const type = ctx.type(name);
    if (!type || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      if (!reported.has(name)) {
        reported.add(name);
        ctx.error(['types', name], `Recursive types are not supported: ${cycle.join(' → ')}.`);
      }
      return;
    }
    state.set(name, 'visiting');
    for (const next of referencedTypes(type)) visit(next, [...trail, name]);
    state.set(name, 'done');
  };
  for (const type of ctx.protocol.types) visit(type.name, []);
}
