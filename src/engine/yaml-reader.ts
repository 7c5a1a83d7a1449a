/**
 * Reading a parsed YAML document into typed values while keeping the position of every
 * node, so that each diagnostic points at the offending line and column.
 *
 * The protocol is never converted with `toJS()` as a whole: maps are walked item by
 * item, so written order is kept (docs/protocol.md section 3: integer-like step names must
 * not move first, as they would as keys of a JS object).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic, DiagnosticSeverity } from './diagnostics.js';

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Alias resolutions allowed in one document. Anchors and aliases are legal YAML, but a
 * document whose aliases nest ("billion laughs") would make the walk exponential.
 */
export const MAX_ALIAS_RESOLUTIONS = 100;

/** The positions recorded while reading, by protocol path (e.g. `steps/Generate title/output`). */
export class SourceMap {
  readonly #positions = new Map<string, Position>();

  /** Records where the value at `path` was written (first record wins). */
  set(path: readonly string[], position: Position | null): void {
    const key = pathKey(path);
    if (position && !this.#positions.has(key)) this.#positions.set(key, position);
  }

  /** Where `path` was written, else its nearest recorded ancestor, else null. */
  get(path: readonly string[]): Position | null {
    for (let length = path.length; length >= 0; length--) {
      const found = this.#positions.get(pathKey(path.slice(0, length)));
      if (found) return found;
    }
    return null;
  }
}

function pathKey(path: readonly string[]): string {
  return path.join('\u0000');
}

/** One entry of a YAML mapping: its key as written, and both nodes. */
export interface MapEntry {
  key: string;
  keyNode: Node | null;
  value: Node | null;
}

/**
 * A parsed document plus the place where diagnostics and positions go. One per
 * `protocol.yaml`; the readers below report through it.
 */
export class YamlContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly sourceMap = new SourceMap();
  #aliasResolutions = 0;

  constructor(
    readonly document: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  /** The 1-based position where `node` starts, or null for a missing node. */
  position(node: Node | null | undefined): Position | null {
    const offset = node?.range?.[0];
    if (offset === undefined) return null;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  report(severity: DiagnosticSeverity, at: Node | Position | null | undefined, path: readonly string[], message: string): void {
    const position = at && 'line' in at ? at : this.position(at ?? null);
    this.diagnostics.push({
      severity,
      message,
      line: position?.line ?? null,
      column: position?.column ?? null,
      path: [...path],
    });
  }

  error(at: Node | Position | null | undefined, path: readonly string[], message: string): void {
    this.report('error', at, path, message);
  }

  warning(at: Node | Position | null | undefined, path: readonly string[], message: string): void {
    this.report('warning', at, path, message);
  }

  /** `node` with aliases followed; null (and an error) past `MAX_ALIAS_RESOLUTIONS`. */
  resolve(node: unknown, path: readonly string[]): Node | null {
    if (isAlias(node)) {
      this.#aliasResolutions += 1;
      if (this.#aliasResolutions > MAX_ALIAS_RESOLUTIONS) {
        if (this.#aliasResolutions === MAX_ALIAS_RESOLUTIONS + 1) {
          this.error(node, path, `Too many YAML aliases (more than ${MAX_ALIAS_RESOLUTIONS}).`);
        }
        return null;
      }
      return this.resolve(node.resolve(this.document), path) ?? null;
    }
    return isScalar(node) || isMap(node) || isSeq(node) ? node : null;
  }

  /** The entries of `map` in written order, with aliases resolved. */
  entries(map: YAMLMap, path: readonly string[]): MapEntry[] {
    return map.items.map((pair) => {
      const keyNode = this.resolve(pair.key, path);
      return { key: keyText(keyNode), keyNode, value: this.resolve(pair.value, [...path, keyText(keyNode)]) };
    });
  }

  /** `node` as a mapping, or null after reporting `expected a mapping`. */
  expectMap(node: Node | null, at: Node | null, path: readonly string[], what: string): YAMLMap | null {
    if (isMap(node)) return node;
    this.error(node ?? at, path, `${what} must be a mapping.`);
    return null;
  }

  /**
   * A plain JS value for data the protocol does not interpret (`default`, `enum`,
   * capability configs); YAML's own alias limit applies.
   */
  toValue(node: Node | null, path: readonly string[]): unknown {
    if (!node) return null;
    try {
      return node.toJS(this.document, { maxAliasCount: MAX_ALIAS_RESOLUTIONS });
    } catch (error) {
      this.error(node, path, error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  /** A reader for the fields of `map`; `owner` is where "missing field" errors point. */
  fields(map: YAMLMap, path: readonly string[], owner: Node | null): FieldReader {
    return new FieldReader(this, map, path, owner);
  }
}

/**
 * A mapping key as written: the string for a string key, the source text for a
 * number, boolean or null key (`1`, `1.0`, `true` stay as written).
 */
function keyText(node: Node | null): string {
  if (!isScalar(node)) return '';
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

/** Typed access to the fields of one mapping (a block, a declaration, a tool…). */
export class FieldReader {
  readonly #entries: Map<string, MapEntry>;
  readonly #read = new Set<string>();

  constructor(
    private readonly ctx: YamlContext,
    map: YAMLMap,
    readonly path: readonly string[],
    private readonly owner: Node | null,
  ) {
    this.#entries = new Map(ctx.entries(map, path).map((entry) => [entry.key, entry]));
    ctx.sourceMap.set(path, ctx.position(owner ?? map));
    for (const entry of this.#entries.values()) {
      // A scalar is located at its value; a mapping or list at its key.
      const at = isScalar(entry.value) && entry.value.value !== null ? entry.value : (entry.keyNode ?? entry.value);
      ctx.sourceMap.set([...path, entry.key], ctx.position(at));
    }
  }

  /** Every key, in written order. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** The key node of `key`, for errors about the name itself. */
  keyNode(key: string): Node | null {
    return this.#entries.get(key)?.keyNode ?? null;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The value node of `key` (null when absent or empty); marks the key as known. */
  node(key: string): Node | null {
    this.#read.add(key);
    return this.#entries.get(key)?.value ?? null;
  }

  /** Path of a field of this mapping. */
  pathOf(key: string): string[] {
    return [...this.path, key];
  }

  /** Reports a missing required field at the owner node. */
  missing(key: string, what: string): void {
    this.ctx.error(this.owner, this.pathOf(key), `${what} is missing required field \`${key}\`.`);
  }

  /** Reports an error at the value (or key) of `key`. */
  errorAt(key: string, message: string): void {
    const entry = this.#entries.get(key);
    this.ctx.error(entry?.value ?? entry?.keyNode ?? this.owner, this.pathOf(key), message);
  }

  /** Reports a warning at the value (or key) of `key`. */
  warningAt(key: string, message: string): void {
    const entry = this.#entries.get(key);
    this.ctx.warning(entry?.value ?? entry?.keyNode ?? this.owner, this.pathOf(key), message);
  }

  /** A scalar's value, or undefined when absent; `null` counts as absent. */
  #scalar(key: string): { value: unknown; node: Node } | undefined {
    const node = this.node(key);
    if (node === null) return undefined;
    if (!isScalar(node)) return { value: node, node };
    return node.value === null ? undefined : { value: node.value, node };
  }

  string(key: string, required: false, what?: string): string | undefined;
  string(key: string, required: true, what: string): string | undefined;
  /** A string field; a wrong type is an error; a missing required one too. */
  string(key: string, required: boolean, what = 'This mapping'): string | undefined {
    const found = this.#scalar(key);
    if (!found) {
      if (required) this.missing(key, what);
      return undefined;
    }
    if (typeof found.value === 'string' && found.value.trim() !== '') return found.value;
    if (typeof found.value === 'number' || typeof found.value === 'boolean') return String(found.value);
    this.errorAt(key, `\`${key}\` must be a non-empty string.`);
    return undefined;
  }

  /** A boolean field. */
  boolean(key: string): boolean | undefined {
    const found = this.#scalar(key);
    if (!found) return undefined;
    if (typeof found.value === 'boolean') return found.value;
    this.errorAt(key, `\`${key}\` must be \`true\` or \`false\`.`);
    return undefined;
  }

  /** A number field within `[min, max]`, optionally an integer. */
  number(key: string, limits: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
    const found = this.#scalar(key);
    if (!found) return undefined;
    const value = found.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.errorAt(key, `\`${key}\` must be a number.`);
      return undefined;
    }
    if (!numberWithin(value, limits)) {
      this.errorAt(key, `\`${key}\` must be ${describeLimits(limits)}; got ${value}.`);
      return undefined;
    }
    return value;
  }

  /** One of `values`. */
  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const found = this.#scalar(key);
    if (!found) return undefined;
    const text = typeof found.value === 'string' ? found.value : String(found.value);
    if ((values as readonly string[]).includes(text)) return text as T;
    this.errorAt(key, `\`${key}\` must be one of ${values.map((v) => `\`${v}\``).join(', ')}; got \`${text}\`.`);
    return undefined;
  }

  /** A list of non-empty strings (each element's position is recorded). */
  stringList(key: string): string[] {
    const node = this.node(key);
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.errorAt(key, `\`${key}\` must be a list.`);
      return [];
    }
    const result: string[] = [];
    node.items.forEach((item, index) => {
      const path = [...this.pathOf(key), String(index)];
      const element = this.ctx.resolve(item, path);
      this.ctx.sourceMap.set(path, this.ctx.position(element));
      if (isScalar(element) && (typeof element.value === 'string' || typeof element.value === 'number') && String(element.value) !== '') {
        result.push(String(element.value));
      } else {
        this.ctx.error(element, path, `Every entry of \`${key}\` must be a name.`);
      }
    });
    return result;
  }

  /** A value the protocol does not interpret, as plain JS. */
  value(key: string): unknown {
    const node = this.node(key);
    return node === null ? undefined : this.ctx.toValue(node, this.pathOf(key));
  }

  /** Warns about every field that no reader asked for. */
  warnUnknown(what: string, known: readonly string[]): void {
    for (const entry of this.#entries.values()) {
      if (this.#read.has(entry.key)) continue;
      this.ctx.warning(
        entry.keyNode,
        this.pathOf(entry.key),
        `Unknown field \`${entry.key}\` in ${what}; expected one of ${known.map((k) => `\`${k}\``).join(', ')}.`,
      );
    }
  }
}

function numberWithin(value: number, limits: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): boolean {
  if (limits.integer && !Number.isInteger(value)) return false;
  if (limits.min !== undefined && (limits.exclusiveMin ? value <= limits.min : value < limits.min)) return false;
  return limits.max === undefined || value <= limits.max;
}

function describeLimits(limits: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): string {
  const kind = limits.integer ? 'an integer' : 'a number';
  if (limits.min !== undefined && limits.max !== undefined) return `${kind} from ${limits.min} to ${limits.max}`;
  if (limits.min !== undefined) return `${kind} ${limits.exclusiveMin ? 'above' : 'of at least'} ${limits.min}`;
  if (limits.max !== undefined) return `${kind} of at most ${limits.max}`;
  return kind;
}
