/**
 * Reading `steps:` (docs/protocol.md sections 7–9) into typed blocks, in written order.
 * Reports unknown block kinds, missing required fields (at the step's name), values of
 * the wrong shape, and dynamic references (section 9) to undeclared names.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { BLOCK_SPECS, blockFieldNames, BLOCK_KINDS, isBlockKind } from './blocks.js';
import { DISPLAY_MODES } from './events.js';
import { MODEL_ID, UPPER_SNAKE_CASE } from './naming.js';
import type { SectionNode } from './parse-declarations.js';
import { splitName } from './prompt-template.js';
import {
  THINKING_LEVELS,
  type Block,
  type BlockBase,
  type BlockKind,
  type BlockOf,
  type InputMappingEntry,
  type ThinkingLevel,
  type ValueSource,
} from './types.js';
import type { FieldReader, YamlContext } from './yaml-reader.js';

/** The thread a block uses when it names none (section 7). */
export const DEFAULT_THREAD = 'main';

/** What block readers need besides the fields. */
interface StepReader {
  ctx: YamlContext;
  fields: FieldReader;
  /** Every declared input, variable and resource name (section 9 references). */
  declared: ReadonlySet<string>;
}

type Builder<K extends BlockKind> = (reader: StepReader, base: BlockBase) => BlockOf<K>;

/**
 * Parses the `steps` mapping. `declared` holds every input, variable and resource name,
 * which decides whether a dynamic field (model, thinking, …) is a reference or a literal.
 */
export function parseStepsSection(ctx: YamlContext, section: SectionNode, declared: ReadonlySet<string>): Block[] {
  const map = ctx.expectMap(section.value, section.key, section.path, '`steps`');
  if (!map) return [];
  if (map.items.length === 0) ctx.error(section.key, section.path, '`steps` has no step.');
  const blocks: Block[] = [];
  ctx.entries(map, section.path).forEach((entry, index) => {
    const path = [...section.path, entry.key];
    const stepMap = ctx.expectMap(entry.value, entry.keyNode, path, `Step \`${entry.key}\``);
    if (!stepMap) return;
    const fields = ctx.fields(stepMap, path, entry.keyNode);
    const kind = fields.string('block', true, `Step \`${entry.key}\``);
    if (kind === undefined) return;
    if (!isBlockKind(kind)) {
      fields.errorAt('block', `Unknown block kind \`${kind}\`; expected one of ${BLOCK_KINDS.map((k) => `\`${k}\``).join(', ')}.`);
      return;
    }
    for (const [key, spec] of Object.entries(BLOCK_SPECS[kind].fields)) {
      if (spec.required && isAbsent(fields.node(key))) fields.missing(key, `Step \`${entry.key}\` (${kind})`);
    }
    const base: BlockBase = { name: entry.key, index };
    const display = fields.oneOf('display', DISPLAY_MODES);
    if (display) base.display = display;
    const description = fields.string('description', false);
    if (description !== undefined) base.description = description;
    const title = fields.string('title', false);
    if (title !== undefined) base.title = title;
    const build = BUILDERS[kind] as Builder<typeof kind>;
    blocks.push(build({ ctx, fields, declared }, base));
    fields.warnUnknown(`a \`${kind}\` block`, blockFieldNames(kind));
  });
  return blocks;
}

function isAbsent(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

const BUILDERS: { [K in BlockKind]: Builder<K> } = {
  'start-thread': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'start-thread'> = {
      ...base,
      kind: 'start-thread',
      thread: fields.string('thread', false) ?? base.name,
      system: fields.string('system', false) ?? '',
      input: inputMapping(reader, 'input'),
      tools: fields.stringList('tools'),
      skills: fields.stringList('skills'),
      mcpServers: fields.stringList('mcpServers'),
      references: fields.stringList('references'),
      onDemandMcpServers: fields.stringList('onDemandMcpServers'),
      workers: fields.stringList('workers'),
    };
    assign(block, 'model', modelField(reader, 'model'));
    assign(block, 'backupModel', modelField(reader, 'backupModel'));
    assign(block, 'imageModel', modelField(reader, 'imageModel'));
    assign(block, 'webSearch', fields.boolean('webSearch'));
    assign(block, 'todoList', fields.boolean('todoList'));
    assign(
      block,
      'thinking',
      dynamic(reader, 'thinking', 'one of `low`, `medium`, `high`, `max`, `"off"`', (value) =>
        (THINKING_LEVELS as readonly unknown[]).includes(value) ? (value as ThinkingLevel) : undefined,
      ),
    );
    assign(block, 'temperature', dynamic(reader, 'temperature', 'a number from 0 to 2 or `"off"`', temperatureLiteral));
    assign(block, 'maxSteps', dynamic(reader, 'maxSteps', 'a positive integer', positiveIntegerLiteral));
    assign(block, 'cache', fields.oneOf('cache', ['auto', 'extended', 'off'] as const));
    assign(
      block,
      'speed',
      dynamic(reader, 'speed', '`fast` or `standard`', (value) => (value === 'fast' || value === 'standard' ? value : undefined)),
    );
    assign(block, 'sandboxTimeout', fields.number('sandboxTimeout', { min: 1, max: 3_600_000, integer: true }));
    assign(block, 'maxOutputTokens', fields.number('maxOutputTokens', { min: 1, integer: true }));
    assign(block, 'maxToolOutputTokens', fields.number('maxToolOutputTokens', { min: 1, integer: true }));
    assign(block, 'maxImageDimension', fields.number('maxImageDimension', { min: 1, integer: true }));
    assign(block, 'loopGuard', fields.boolean('loopGuard'));
    if (fields.has('anthropic')) {
      const options = fields.value('anthropic');
      if (typeof options === 'object' && options !== null && !Array.isArray(options)) block.anthropic = options as Record<string, unknown>;
      else fields.errorAt('anthropic', '`anthropic` must be a mapping of provider options.');
    }
    return block;
  },

  'add-message': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'add-message'> = {
      ...base,
      kind: 'add-message',
      thread: fields.string('thread', false) ?? DEFAULT_THREAD,
      role: fields.oneOf('role', ['user', 'assistant', 'system'] as const) ?? 'user',
      prompt: fields.string('prompt', false) ?? '',
      input: inputMapping(reader, 'input'),
      files: fields.stringList('files'),
      visible: fields.boolean('visible') ?? true,
    };
    assign(block, 'uiContent', fields.string('uiContent', false));
    return block;
  },

  'next-message': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'next-message'> = {
      ...base,
      kind: 'next-message',
      thread: fields.string('thread', false) ?? DEFAULT_THREAD,
      independent: fields.boolean('independent') ?? false,
    };
    assign(block, 'output', fields.string('output', false));
    assign(block, 'responseType', fields.string('responseType', false));
    const responseSchema = fields.string('responseSchema', false);
    if (responseSchema !== undefined) block.responseSchema = splitName(responseSchema);
    return block;
  },

  'tool-call': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'tool-call'> = { ...base, kind: 'tool-call', tool: fields.string('tool', false) ?? '', input: toolInput(reader) };
    assign(block, 'output', fields.string('output', false));
    assign(block, 'thread', fields.string('thread', false));
    return block;
  },

  'serialize-thread': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'serialize-thread'> = {
      ...base,
      kind: 'serialize-thread',
      thread: fields.string('thread', false) ?? DEFAULT_THREAD,
      // OPEN (section 7): the default format is unstated; markdown as suggested.
      format: fields.oneOf('format', ['markdown', 'json'] as const) ?? 'markdown',
    };
    assign(block, 'output', fields.string('output', false));
    return block;
  },

  'set-resource': (reader, base) => ({
    ...base,
    kind: 'set-resource',
    resource: reader.fields.string('resource', false) ?? '',
    value: reader.fields.string('value', false) ?? '',
  }),

  'generate-image': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'generate-image'> = {
      ...base,
      kind: 'generate-image',
      prompt: fields.string('prompt', false) ?? '',
      imageModel: modelField(reader, 'imageModel') ?? { kind: 'literal', value: '' },
      referenceImages: fields.stringList('referenceImages'),
    };
    assign(block, 'aspectRatio', fields.string('aspectRatio', false));
    assign(block, 'resolution', fields.oneOf('resolution', ['1K', '2K', '4K'] as const));
    assign(block, 'size', fields.oneOf('size', ['1024x1024', '1792x1024', '1024x1792'] as const));
    assign(block, 'output', fields.string('output', false));
    assign(block, 'thread', fields.string('thread', false));
    return block;
  },

  'generate-speech': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'generate-speech'> = {
      ...base,
      kind: 'generate-speech',
      text: fields.string('text', false) ?? '',
      speechModel: modelField(reader, 'speechModel') ?? { kind: 'literal', value: '' },
    };
    assign(block, 'voice', fields.string('voice', false));
    assign(block, 'format', fields.oneOf('format', ['mp3', 'opus', 'aac', 'flac', 'wav'] as const));
    assign(block, 'instructions', fields.string('instructions', false));
    assign(block, 'language', fields.string('language', false));
    assign(block, 'speed', fields.number('speed', { min: 0.25, max: 4 }));
    assign(block, 'output', fields.string('output', false));
    assign(block, 'thread', fields.string('thread', false));
    return block;
  },

  'transcribe-audio': (reader, base) => {
    const { fields } = reader;
    const block: BlockOf<'transcribe-audio'> = {
      ...base,
      kind: 'transcribe-audio',
      audio: fields.string('audio', false) ?? '',
      transcriptionModel: modelField(reader, 'transcriptionModel') ?? { kind: 'literal', value: '' },
    };
    assign(block, 'language', fields.string('language', false));
    assign(block, 'timestamps', fields.boolean('timestamps'));
    assign(block, 'output', fields.string('output', false));
    assign(block, 'thread', fields.string('thread', false));
    return block;
  },

  'run-worker': (reader, base) => {
    const block: BlockOf<'run-worker'> = {
      ...base,
      kind: 'run-worker',
      worker: reader.fields.string('worker', false) ?? '',
      input: inputMapping(reader, 'input'),
    };
    assign(block, 'output', reader.fields.string('output', false));
    return block;
  },
};

/** Sets an optional property only when it has a value (no `key: undefined` in the model). */
function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * A field that holds a literal or names a declaration (section 9). A string naming a
 * declared input/variable/resource is a reference; otherwise `literal` decides. An
 * undeclared UPPER_SNAKE_CASE name is reported as an undeclared reference.
 */
function dynamic<T>(reader: StepReader, key: string, expected: string, literal: (value: unknown) => T | undefined): ValueSource<T> | undefined {
  const node = reader.fields.node(key);
  if (isAbsent(node)) return undefined;
  const raw: unknown = isScalar(node) ? node.value : node;
  if (typeof raw === 'string' && reader.declared.has(raw)) return { kind: 'reference', name: raw };
  const value = literal(raw);
  if (value !== undefined) return { kind: 'literal', value };
  if (typeof raw === 'string' && UPPER_SNAKE_CASE.test(raw)) {
    reader.fields.errorAt(key, `\`${key}\` refers to \`${raw}\`, which is not a declared input, variable or resource.`);
  } else {
    reader.fields.errorAt(key, `\`${key}\` must be ${expected}, or the name of a declared input or variable.`);
  }
  return undefined;
}

function modelField(reader: StepReader, key: string): ValueSource<string> | undefined {
  return dynamic(reader, key, 'a model id `provider/model-id`', (value) =>
    typeof value === 'string' && MODEL_ID.test(value) ? value : undefined,
  );
}

/** A temperature literal: 0–2 (numbers or numeric strings) or `off` (section 9). */
export function temperatureLiteral(value: unknown): number | 'off' | undefined {
  if (value === 'off') return 'off';
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && number >= 0 && number <= 2 ? number : undefined;
}

/** A maxSteps literal: a positive integer or its string form (section 9). */
export function positiveIntegerLiteral(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 1 ? number : undefined;
}

/**
 * An `input` mapping in any of its three forms (section 8). Each entry's position is
 * recorded at `[..., 'input', label]`.
 */
function inputMapping(reader: StepReader, key: string): InputMappingEntry[] {
  const { ctx, fields } = reader;
  const node = fields.node(key);
  const path = fields.pathOf(key);
  if (isAbsent(node)) return [];
  const entries: InputMappingEntry[] = [];
  const add = (label: string, source: string, at: Node | null): void => {
    const entryPath = [...path, label];
    if (entries.some((entry) => entry.label === label)) ctx.error(at, entryPath, `\`${label}\` is mapped twice.`);
    ctx.sourceMap.set(entryPath, ctx.position(at));
    entries.push({ label, source });
  };
  const name = (value: Node | null): string | null =>
    isScalar(value) && typeof value.value === 'string' && value.value !== '' ? value.value : null;

  if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const element = ctx.resolve(item, [...path, String(index)]);
      const plain = name(element);
      if (plain) return add(plain, plain, element);
      if (isMap(element) && element.items.length === 1) {
        const [entry] = ctx.entries(element, path);
        const source = name(entry?.value ?? null);
        if (entry && source) return add(entry.key, source, entry.value);
      }
      ctx.error(element, [...path, String(index)], 'A mapping entry must be `NAME` or `LABEL: SOURCE`.');
    });
  } else if (isMap(node)) {
    for (const entry of ctx.entries(node, path)) {
      const source = name(entry.value);
      if (source) add(entry.key, source, entry.value);
      else ctx.error(entry.value ?? entry.keyNode, [...path, entry.key], `\`${entry.key}\` must map to an input, variable or resource name.`);
    }
  } else {
    fields.errorAt(key, '`input` must be a list (`[A, B: C]`) or a mapping (`{B: C}`).');
  }
  return entries;
}

/**
 * tool-call `input`: parameter → value. A string naming a declaration is a reference
 * (section 9: `summary: SUMMARY`); anything else is a literal (`priority: medium`).
 */
function toolInput(reader: StepReader): Array<{ parameter: string; value: ValueSource<unknown> }> {
  const { ctx, fields } = reader;
  const node = fields.node('input');
  if (isAbsent(node)) return [];
  const path = fields.pathOf('input');
  const map = ctx.expectMap(node, null, path, '`input` of a tool-call');
  if (!map) return [];
  return ctx.entries(map, path).map((entry) => {
    const entryPath = [...path, entry.key];
    ctx.sourceMap.set(entryPath, ctx.position(entry.value ?? entry.keyNode));
    const raw = isScalar(entry.value) ? entry.value.value : undefined;
    if (typeof raw === 'string' && reader.declared.has(raw)) return { parameter: entry.key, value: { kind: 'reference', name: raw } };
    if (typeof raw === 'string' && UPPER_SNAKE_CASE.test(raw)) {
      ctx.warning(entry.value, entryPath, `\`${raw}\` is not a declared name, so it is passed as the literal string "${raw}".`);
    }
    return { parameter: entry.key, value: { kind: 'literal', value: ctx.toValue(entry.value, entryPath) } };
  });
}
