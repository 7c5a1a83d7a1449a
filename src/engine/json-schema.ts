/**
 * The JSON Schema (draft 2020-12) of protocol.yaml, for editors (docs/architecture.md "Layout":
 * schema/protocol.schema.json). Built from the same tables the parser reads
 * (`BLOCK_SPECS`, the naming patterns), so the two cannot drift apart; the file is
 * printed by `scripts/print-protocol-schema.ts` and a test fails when it is stale.
 *
 * It describes shape only (sections 3–11). Cross-references — threads started before
 * use, declared names, prompts that exist — are validate.ts's job.
 */
import { BLOCK_KINDS, BLOCK_SPECS, COMMON_BLOCK_FIELDS, declaredNameSchema, type JsonSchema } from './blocks.js';
import { DISPLAY_MODES } from './events.js';
import { CAMEL_CASE, KEBAB_CASE, PASCAL_CASE, UPPER_SNAKE_CASE } from './naming.js';
import type { BlockKind } from './types.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });

/** A mapping from names matching `pattern` to `value`. */
const namedMap = (description: string, pattern: RegExp, value: JsonSchema): JsonSchema => ({
  description,
  type: 'object',
  propertyNames: { pattern: pattern.source },
  additionalProperties: value,
});

const typeName: JsonSchema = {
  description: 'string, number, integer, boolean, unknown, file, a custom type, or any of them followed by [].',
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9]*(\\[\\])*$',
};

function blockSchema(kind: BlockKind): JsonSchema {
  const spec = BLOCK_SPECS[kind];
  const fields = { ...COMMON_BLOCK_FIELDS, ...spec.fields };
  const properties = Object.fromEntries(
    Object.entries(fields).map(([name, field]) => [name, name === 'block' ? { const: kind, description: spec.description } : { description: field.description, ...field.schema }]),
  );
  return {
    description: `${spec.description} Default display: ${spec.defaultDisplay}.`,
    type: 'object',
    properties,
    required: Object.entries(fields)
      .filter(([, field]) => field.required)
      .map(([name]) => name),
    additionalProperties: false,
  };
}

/** The JSON Schema of protocol.yaml for `format: worker` packages. */
export function protocolJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Worker protocol (protocol.yaml)',
    description: 'A worker protocol: declarations, then steps executed in order, returning the `output` variable.',
    type: 'object',
    required: ['steps'],
    additionalProperties: false,
    properties: {
      input: namedMap('What the caller supplies; immutable during the run.', UPPER_SNAKE_CASE, ref('input')),
      variables: namedMap('Internal state written by block outputs.', UPPER_SNAKE_CASE, ref('variable')),
      resources: { ...namedMap('Deprecated: state shared with the caller.', UPPER_SNAKE_CASE, ref('resource')), deprecated: true },
      types: namedMap('Custom types for inputs, variables and structured output.', PASCAL_CASE, ref('type')),
      // lowercase-with-dashes has no `_`, so the reserved `octavus_` prefix is excluded too.
      tools: namedMap('External tools the threads may offer to their models.', KEBAB_CASE, ref('tool')),
      skills: { description: 'Skills, enabled per thread.', type: 'object' },
      mcpServers: { description: 'MCP servers, enabled per thread.', type: 'object' },
      onDemandMcpServers: { description: 'Sources of MCP servers connected on demand.', type: 'object' },
      workers: namedMap('Workers this protocol may call, by slug.', KEBAB_CASE, ref('worker')),
      steps: {
        description: 'Blocks executed in written order; keys are step names.',
        type: 'object',
        minProperties: 1,
        additionalProperties: ref('step'),
      },
      output: { description: 'The variable returned as the worker output.', ...declaredNameSchema },
    },
    $defs: {
      typeName,
      input: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: ref('typeName'),
          description: { type: 'string' },
          optional: { type: 'boolean', description: 'The caller may omit it (it then reads as NONE in prompts).' },
          default: { description: 'Used when the caller omits it.' },
          enum: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Allowed values (type: string only).' },
        },
      },
      variable: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: { type: ref('typeName'), description: { type: 'string' }, default: { description: 'Initial value.' } },
      },
      resource: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: { type: ref('typeName'), description: { type: 'string' }, default: {}, readonly: { type: 'boolean' } },
      },
      property: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: { anyOf: [ref('typeName'), { const: 'array' }] },
          description: { type: 'string' },
          optional: { type: 'boolean' },
          enum: { type: 'array', items: { type: 'string' }, minItems: 1 },
          const: { type: ['string', 'number', 'boolean'] },
          items: { type: 'object', required: ['type'], additionalProperties: false, properties: { type: ref('typeName') } },
        },
      },
      type: {
        description: 'An object type (property name → spec), a top-level array type, or a union.',
        anyOf: [
          {
            title: 'array type',
            type: 'object',
            required: ['type', 'items'],
            additionalProperties: false,
            properties: {
              type: { const: 'array' },
              items: { type: 'object', required: ['type'], additionalProperties: false, properties: { type: ref('typeName') } },
              description: { type: 'string' },
            },
          },
          {
            title: 'union',
            type: 'object',
            required: ['anyOf', 'discriminator'],
            additionalProperties: false,
            properties: { anyOf: { type: 'array', items: { type: 'string', pattern: PASCAL_CASE.source }, minItems: 2 }, discriminator: { type: 'string' } },
          },
          { title: 'object type', ...namedMap('Property name → spec.', CAMEL_CASE, ref('property')) },
        ],
      },
      tool: {
        type: 'object',
        required: ['description'],
        additionalProperties: false,
        properties: {
          description: { type: 'string', description: 'Sent to the LLM.' },
          display: { enum: [...DISPLAY_MODES] },
          title: { type: 'string' },
          parameters: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['type'],
              additionalProperties: false,
              properties: { type: ref('typeName'), description: { type: 'string' }, optional: { type: 'boolean' } },
            },
          },
        },
      },
      worker: {
        type: 'object',
        additionalProperties: false,
        properties: {
          description: { type: 'string' },
          display: { enum: [...DISPLAY_MODES] },
          title: { type: 'string' },
          tools: { type: 'object', additionalProperties: { type: 'string', pattern: KEBAB_CASE.source }, description: 'Worker tool name → this protocol’s tool.' },
        },
      },
      // Each block schema pins `block` with a `const`, so exactly one variant applies.
      step: { oneOf: BLOCK_KINDS.map((kind) => ref(`block-${kind}`)) },
      ...Object.fromEntries(BLOCK_KINDS.map((kind) => [`block-${kind}`, blockSchema(kind)])),
    },
  };
}
