/**
 * Reading the declaration sections of protocol.yaml (docs/protocol.md sections 4–6 and 11):
 * `input`, `variables`, `resources`, `types`, `tools`, `skills`, `mcpServers`,
 * `onDemandMcpServers`, `workers`. Shape errors are reported here; cross-references
 * (does a type exist, naming conventions) are checked by validate.ts.
 */
import { isMap, isScalar, type Node } from 'yaml';
import { DISPLAY_MODES } from './events.js';
import {
  MCP_SERVER_SOURCES,
  MCP_TRANSPORTS,
  type CapabilityDeclaration,
  type InputDeclaration,
  type McpServerDeclaration,
  type PropertySpec,
  type ResourceDeclaration,
  type ToolDeclaration,
  type TypeDefinition,
  type VariableDeclaration,
  type WorkerDeclaration,
} from './types.js';
import type { FieldReader, YamlContext } from './yaml-reader.js';

/** A top-level section as found: its value node, its key node, its path. */
export interface SectionNode {
  value: Node | null;
  key: Node | null;
  path: string[];
}

/** Calls `read` for every entry of a mapping section, with a reader when the entry is a mapping. */
function eachEntry<T>(
  ctx: YamlContext,
  section: SectionNode,
  what: string,
  read: (name: string, fields: FieldReader) => T | null,
): T[] {
  if (section.value === null || (isScalar(section.value) && section.value.value === null)) return [];
  const map = ctx.expectMap(section.value, section.key, section.path, `\`${section.path.join('.')}\``);
  if (!map) return [];
  const result: T[] = [];
  for (const entry of ctx.entries(map, section.path)) {
    const path = [...section.path, entry.key];
    const entryMap = ctx.expectMap(entry.value, entry.keyNode, path, `${what} \`${entry.key}\``);
    if (!entryMap) continue;
    const item = read(entry.key, ctx.fields(entryMap, path, entry.keyNode));
    if (item) result.push(item);
  }
  return result;
}

function stringEnum(fields: FieldReader, key: string): string[] | undefined {
  if (!fields.has(key)) return undefined;
  const values = fields.value(key);
  if (!Array.isArray(values) || values.length === 0 || !values.every((v): v is string => typeof v === 'string')) {
    fields.errorAt(key, `\`${key}\` must be a non-empty list of strings.`);
    return undefined;
  }
  return values;
}

/** `input:` (section 4). */
export function parseInputSection(ctx: YamlContext, section: SectionNode): InputDeclaration[] {
  return eachEntry(ctx, section, 'Input', (name, fields) => {
    const what = `Input \`${name}\``;
    const declaration: InputDeclaration = {
      name,
      type: fields.string('type', true, what) ?? 'unknown',
      optional: fields.boolean('optional') ?? false,
    };
    const description = fields.string('description', false);
    if (description !== undefined) declaration.description = description;
    if (fields.has('default')) declaration.default = fields.value('default');
    const values = stringEnum(fields, 'enum');
    if (values) {
      if (declaration.type !== 'string') fields.errorAt('enum', '`enum` is only allowed on `type: string`.');
      declaration.enum = values;
      if (declaration.default !== undefined && !values.includes(String(declaration.default))) {
        fields.errorAt('default', `Default "${String(declaration.default)}" is not one of the \`enum\` values.`);
      }
    }
    fields.warnUnknown(`input \`${name}\``, ['type', 'description', 'optional', 'default', 'enum']);
    return declaration;
  });
}

/** `variables:` (section 4). */
export function parseVariablesSection(ctx: YamlContext, section: SectionNode): VariableDeclaration[] {
  return eachEntry(ctx, section, 'Variable', (name, fields) => {
    const declaration: VariableDeclaration = { name, type: fields.string('type', true, `Variable \`${name}\``) ?? 'unknown' };
    const description = fields.string('description', false);
    if (description !== undefined) declaration.description = description;
    if (fields.has('default')) declaration.default = fields.value('default');
    fields.warnUnknown(`variable \`${name}\``, ['type', 'description', 'default']);
    return declaration;
  });
}

/** `resources:` (section 4; deprecated, the validator warns). */
export function parseResourcesSection(ctx: YamlContext, section: SectionNode): ResourceDeclaration[] {
  return eachEntry(ctx, section, 'Resource', (name, fields) => {
    const declaration: ResourceDeclaration = {
      name,
      type: fields.string('type', true, `Resource \`${name}\``) ?? 'unknown',
      readonly: fields.boolean('readonly') ?? false,
    };
    const description = fields.string('description', false);
    if (description !== undefined) declaration.description = description;
    if (fields.has('default')) declaration.default = fields.value('default');
    fields.warnUnknown(`resource \`${name}\``, ['type', 'description', 'default', 'readonly']);
    return declaration;
  });
}

/**
 * One property spec (section 5) or tool parameter (section 6). Tool parameters take
 * only `type`, `description` and `optional`, and no inline `array`.
 */
function parseProperty(name: string, fields: FieldReader, kind: 'property' | 'parameter'): PropertySpec {
  const what = `${kind === 'property' ? 'Property' : 'Parameter'} \`${name}\``;
  const spec: PropertySpec = { name, type: fields.string('type', true, what) ?? 'unknown', optional: fields.boolean('optional') ?? false };
  const description = fields.string('description', false);
  if (description !== undefined) spec.description = description;
  if (kind === 'parameter') {
    if (spec.type === 'array') fields.errorAt('type', 'A parameter cannot be an inline `array`; declare a named array type (`X[]` or a `types:` entry).');
    fields.warnUnknown(`parameter \`${name}\``, ['type', 'description', 'optional']);
    return spec;
  }
  const values = stringEnum(fields, 'enum');
  if (values) {
    if (spec.type !== 'string') fields.errorAt('enum', '`enum` is only allowed on `type: string`.');
    spec.enum = values;
  }
  if (fields.has('const')) {
    const value = fields.value('const');
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') spec.const = value;
    else fields.errorAt('const', '`const` must be a string, number or boolean.');
  }
  if (spec.type === 'array') {
    const items = parseItems(fields, what);
    if (items) spec.items = items;
  } else if (fields.has('items')) {
    fields.errorAt('items', '`items` is only allowed with `type: array`.');
  }
  fields.warnUnknown(`property \`${name}\``, ['type', 'description', 'optional', 'enum', 'const', 'items']);
  return spec;
}

/** `items: {type: T}` of an array (section 5); required. */
function parseItems(fields: FieldReader, what: string): { type: string } | null {
  const node = fields.node('items');
  if (!isMap(node)) {
    if (node === null) fields.missing('items', `${what} (an array)`);
    else fields.errorAt('items', '`items` must be a mapping like `{type: T}`.');
    return null;
  }
  const type = isScalar(node.get('type', true)) ? node.get('type') : null;
  if (typeof type !== 'string' || type === '') {
    fields.errorAt('items', '`items` must have a `type`.');
    return null;
  }
  return { type };
}

/** `types:` (section 5): object types, top-level array types and unions. */
export function parseTypesSection(ctx: YamlContext, section: SectionNode): TypeDefinition[] {
  return eachEntry<TypeDefinition>(ctx, section, 'Type', (name, fields) => {
    if (fields.has('anyOf')) {
      const anyOf = fields.stringList('anyOf');
      const discriminator = fields.string('discriminator', true, `Union type \`${name}\``) ?? '';
      fields.warnUnknown(`union type \`${name}\``, ['anyOf', 'discriminator']);
      return { kind: 'union', name, anyOf, discriminator };
    }
    const typeNode = fields.has('type') ? fields.node('type') : null;
    if (isScalar(typeNode)) {
      if (typeNode.value !== 'array') {
        fields.errorAt('type', `A type given by \`type:\` must be \`type: array\` with \`items\`; for an object type list its properties.`);
        return null;
      }
      const items = parseItems(fields, `Type \`${name}\``);
      const description = fields.string('description', false);
      fields.warnUnknown(`array type \`${name}\``, ['type', 'items', 'description']);
      if (!items) return null;
      return { kind: 'array', name, items, ...(description !== undefined ? { description } : {}) };
    }
    return { kind: 'object', name, properties: parseProperties(ctx, fields, name) };
  });
}

function parseProperties(ctx: YamlContext, fields: FieldReader, typeName: string): PropertySpec[] {
  const properties: PropertySpec[] = [];
  for (const key of fields.keys()) {
    const path = fields.pathOf(key);
    const map = ctx.expectMap(fields.node(key), fields.keyNode(key), path, `Property \`${key}\` of type \`${typeName}\``);
    if (map) properties.push(parseProperty(key, ctx.fields(map, path, fields.keyNode(key)), 'property'));
  }
  return properties;
}

/** `tools:` (section 6). */
export function parseToolsSection(ctx: YamlContext, section: SectionNode): ToolDeclaration[] {
  return eachEntry(ctx, section, 'Tool', (name, fields) => {
    const tool: ToolDeclaration = { name, description: fields.string('description', true, `Tool \`${name}\``) ?? '', parameters: [] };
    const display = fields.oneOf('display', DISPLAY_MODES);
    if (display) tool.display = display;
    const title = fields.string('title', false);
    if (title !== undefined) tool.title = title;
    const parameters = fields.node('parameters');
    if (parameters !== null && !(isScalar(parameters) && parameters.value === null)) {
      const map = ctx.expectMap(parameters, null, fields.pathOf('parameters'), `\`parameters\` of tool \`${name}\``);
      for (const entry of map ? ctx.entries(map, fields.pathOf('parameters')) : []) {
        const path = [...fields.pathOf('parameters'), entry.key];
        const spec = ctx.expectMap(entry.value, entry.keyNode, path, `Parameter \`${entry.key}\``);
        if (spec) tool.parameters.push(parseProperty(entry.key, ctx.fields(spec, path, entry.keyNode), 'parameter'));
      }
    }
    fields.warnUnknown(`tool \`${name}\``, ['description', 'display', 'title', 'parameters']);
    return tool;
  });
}

/**
 * `mcpServers:` (docs/protocol.md sections 3 and 7; the field names follow the upstream docs'
 * MCP page, `url`/`headers`/`transport` are ours). The key is the server's name and the
 * namespace of its tools:
 *
 * ```yaml
 * mcpServers:
 *   docs:
 *     description: Product documentation     # optional; describes tools that have none
 *     source: remote                          # required: remote | device | consumer
 *     url: https://mcp.example.com/mcp        # remote: required, absolute http(s)
 *     headers: { Authorization: Bearer … }    # remote: optional, sent with every request
 *     transport: http                         # remote: http (Streamable HTTP, default) | sse
 *     connection: eager                       # remote: eager | lazy (lazy acts as eager, with a warning)
 *     display: description                    # every tool of the server; default description
 *     title: Reading the docs                 # label for display: title
 * ```
 *
 * Upstream, a remote server's URL and credentials live in the platform's project
 * settings; this server has no such place, so a remote declaration carries them. The
 * upstream `execution` field (where a STDIO server runs) does not apply to HTTP servers:
 * it is warned about on `remote` and an error elsewhere, as upstream.
 */
export function parseMcpServersSection(ctx: YamlContext, section: SectionNode): McpServerDeclaration[] {
  return eachEntry<McpServerDeclaration>(ctx, section, 'MCP server', (name, fields) => {
    const what = `MCP server \`${name}\``;
    const base: Pick<McpServerDeclaration, 'name' | 'description' | 'display' | 'title'> = { name };
    const description = fields.string('description', false);
    if (description !== undefined) base.description = description;
    const display = fields.oneOf('display', DISPLAY_MODES);
    if (display) base.display = display;
    const title = fields.string('title', false);
    if (title !== undefined) base.title = title;
    if (!fields.has('source')) fields.missing('source', what);
    const source = fields.oneOf('source', MCP_SERVER_SOURCES);
    // A placeholder after the error above (the protocol does not load), so that threads
    // naming this server are not also told that it is undeclared.
    if (source === undefined) return { ...base, source: 'remote', url: '', headers: {}, transport: 'http' };
    if (source !== 'remote') {
      if (fields.has('execution')) {
        fields.node('execution');
        fields.errorAt('execution', '`execution` is only valid on `source: remote`.');
      }
      fields.warnUnknown(`${what} (source: ${source})`, ['description', 'source', 'display', 'title']);
      return { ...base, source };
    }
    const server: McpServerDeclaration = {
      ...base,
      source,
      url: parseMcpUrl(fields, what) ?? '',
      headers: parseHeaders(ctx, fields),
      transport: fields.oneOf('transport', MCP_TRANSPORTS) ?? 'http',
    };
    const connection = fields.oneOf('connection', ['eager', 'lazy'] as const);
    if (connection !== undefined) server.connection = connection;
    if (fields.has('execution')) {
      fields.node('execution');
      fields.warningAt('execution', '`execution` has no effect: this server reaches remote MCP servers over HTTP and runs no STDIO servers.');
    }
    fields.warnUnknown(what, ['description', 'source', 'url', 'headers', 'transport', 'connection', 'display', 'title', 'execution']);
    return server;
  });
}

/** A remote server's `url`: required, an absolute http(s) URL without credentials (they go in `headers`). */
function parseMcpUrl(fields: FieldReader, what: string): string | undefined {
  const text = fields.string('url', true, what);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fields.errorAt('url', `\`url\` must be an absolute http(s) URL; got \`${text}\`.`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fields.errorAt('url', `\`url\` must use http or https; got \`${url.protocol.slice(0, -1)}\`.`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    fields.errorAt('url', '`url` must not hold credentials; send them in `headers`.');
    return undefined;
  }
  return text;
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `headers:` of a remote MCP server: header name → string value, on one line each. */
function parseHeaders(ctx: YamlContext, fields: FieldReader): Record<string, string> {
  const headers: Record<string, string> = {};
  const node = fields.node('headers');
  if (node === null || (isScalar(node) && node.value === null)) return headers;
  const map = ctx.expectMap(node, fields.keyNode('headers'), fields.pathOf('headers'), '`headers`');
  for (const entry of map ? ctx.entries(map, fields.pathOf('headers')) : []) {
    const path = [...fields.pathOf('headers'), entry.key];
    const value = isScalar(entry.value) && (typeof entry.value.value === 'string' || typeof entry.value.value === 'number') ? String(entry.value.value) : null;
    ctx.sourceMap.set(path, ctx.position(entry.value ?? entry.keyNode));
    if (!HEADER_NAME.test(entry.key)) ctx.error(entry.keyNode, path, `\`${entry.key}\` is not a valid HTTP header name.`);
    else if (value === null || /[\r\n]/.test(value)) ctx.error(entry.value ?? entry.keyNode, path, `Header \`${entry.key}\` must have a one-line string value.`);
    else headers[entry.key] = value;
  }
  return headers;
}

/** `skills:`, `onDemandMcpServers:`: names with opaque configuration. */
export function parseCapabilitySection(ctx: YamlContext, section: SectionNode): CapabilityDeclaration[] {
  if (section.value === null || (isScalar(section.value) && section.value.value === null)) return [];
  const map = ctx.expectMap(section.value, section.key, section.path, `\`${section.path.join('.')}\``);
  if (!map) return [];
  return ctx.entries(map, section.path).map((entry) => {
    const path = [...section.path, entry.key];
    ctx.sourceMap.set(path, ctx.position(entry.keyNode));
    return { name: entry.key, config: ctx.toValue(entry.value, path) };
  });
}

/** `workers:` (section 11), keyed by slug. */
export function parseWorkersSection(ctx: YamlContext, section: SectionNode): WorkerDeclaration[] {
  return eachEntry(ctx, section, 'Worker', (slug, fields) => {
    const worker: WorkerDeclaration = { slug, tools: [] };
    const description = fields.string('description', false);
    if (description !== undefined) worker.description = description;
    const display = fields.oneOf('display', DISPLAY_MODES);
    if (display) worker.display = display;
    const title = fields.string('title', false);
    if (title !== undefined) worker.title = title;
    const tools = fields.node('tools');
    if (tools !== null) {
      const map = ctx.expectMap(tools, null, fields.pathOf('tools'), `\`tools\` of worker \`${slug}\``);
      for (const entry of map ? ctx.entries(map, fields.pathOf('tools')) : []) {
        const parentTool = isScalar(entry.value) && typeof entry.value.value === 'string' ? entry.value.value : null;
        const path = [...fields.pathOf('tools'), entry.key];
        ctx.sourceMap.set(path, ctx.position(entry.value ?? entry.keyNode));
        if (parentTool) worker.tools.push({ workerTool: entry.key, parentTool });
        else ctx.error(entry.value ?? entry.keyNode, path, 'A worker tool mapping must name a tool of this protocol.');
      }
    }
    fields.warnUnknown(`worker \`${slug}\``, ['description', 'display', 'title', 'tools']);
    return worker;
  });
}
