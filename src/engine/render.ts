/**
 * Prompt rendering (docs/protocol.md section 2): includes, then conditionals, then
 * placeholders, with values taken through the block's `input` mapping (section 8).
 *
 * Choices where the docs are silent (OPEN), each covered by test/engine/render.test.ts:
 * - Section 16: an optional input the caller omitted and that has no `default` is
 *   "omitted": conditions see it as absent (falsy), placeholders render `NONE`.
 * - Section 2: a mapped variable with no value (never set, no default, or `null`) keeps
 *   its placeholder unchanged, as an unmapped name does.
 * - `VAR == "x"` and `VAR != "x"` are both false when VAR is absent ("a condition on an
 *   absent value drops the span"); `!VAR` is true (absent is falsy).
 * - `{{NAME.key.key}}` reads keys (or array indexes) inside the value of NAME; a key
 *   that is not there leaves the placeholder unchanged, like a value that is not set.
 * - The string form of a value is the one placeholders use: strings as they are,
 *   numbers and booleans by `String()`, objects and arrays as 2-space JSON; so `0` and
 *   `false` are falsy like `"0"` and `"false"`, while `[]` and `{}` are truthy.
 */
import type { InputMappingEntry, PromptFile } from './types.js';
import { parseTemplate, type Condition, type TemplateNode } from './prompt-template.js';

/** What a prompt placeholder shows for an omitted optional input (section 4). */
export const OMITTED_INPUT_TEXT = 'NONE';

/** Upper bound on a rendered prompt: nested includes can multiply text exponentially. */
export const MAX_RENDERED_PROMPT_CHARS = 1_000_000;

/** The value behind a mapped name at render time. */
export type ScopeEntry =
  /** A value (the caller's, a declared default, or one a block wrote). */
  | { state: 'set'; value: unknown }
  /** An optional input omitted by the caller, with no default (section 16). */
  | { state: 'omitted' }
  /** A variable or resource without a value. */
  | { state: 'unset' };

/** What `renderPrompt` needs besides the prompt's name. */
export interface RenderOptions {
  /** Every prompt of the package (for the prompt itself and its includes). */
  prompts: readonly PromptFile[];
  /** The block's `input` mapping: only its labels are substituted. */
  input: readonly InputMappingEntry[];
  /** The value of an input, variable or resource named as a mapping source. */
  lookup: (source: string) => ScopeEntry;
  /**
   * Context inputs of the run (section 4, "Context inputs"): substituted under their own
   * name without a mapping entry (a mapping label of the same name wins).
   */
  context?: readonly string[];
}

/** A prompt that cannot be rendered (unknown prompt, include cycle, bad syntax, too long). */
export class PromptRenderError extends Error {
  override readonly name = 'PromptRenderError';
}

/**
 * Renders prompt `name` (section 2). Throws `PromptRenderError` for what validation
 * rejects earlier (an unknown prompt or include, an include cycle, malformed
 * conditionals) and for a result longer than `MAX_RENDERED_PROMPT_CHARS`.
 */
export function renderPrompt(name: string, options: RenderOptions): string {
  const sources = new Map(options.prompts.map((prompt) => [prompt.name, prompt.content]));
  const labels = new Map(options.input.map((entry) => [entry.label, entry.source]));
  const context = new Set(options.context);
  const known = (label: string): boolean => labels.has(label) || context.has(label);
  const resolve = (label: string, path: readonly string[]): ScopeEntry => {
    const source = labels.get(label) ?? (context.has(label) ? label : undefined);
    return source === undefined ? { state: 'unset' } : pathInto(options.lookup(source), path);
  };
  const out: string[] = [];
  let length = 0;
  const write = (text: string): void => {
    length += text.length;
    if (length > MAX_RENDERED_PROMPT_CHARS) {
      throw new PromptRenderError(`Prompt "${name}" renders to more than ${MAX_RENDERED_PROMPT_CHARS} characters.`);
    }
    out.push(text);
  };

  const renderFile = (prompt: string, stack: readonly string[]): void => {
    const text = sources.get(prompt);
    if (text === undefined) {
      throw new PromptRenderError(stack.length === 0 ? `Unknown prompt "${prompt}".` : `Prompt "${stack.at(-1)}" includes unknown prompt "${prompt}".`);
    }
    if (stack.includes(prompt)) {
      throw new PromptRenderError(`Include cycle: ${[...stack, prompt].join(' → ')}.`);
    }
    const parsed = parseTemplate(text);
    const [first] = parsed.errors;
    if (first) throw new PromptRenderError(`Prompt "${prompt}": ${first.message}`);
    renderNodes(parsed.nodes, [...stack, prompt]);
  };

  const renderNodes = (nodes: readonly TemplateNode[], stack: readonly string[]): void => {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          write(node.text);
          break;
        case 'placeholder':
          write(placeholderText(node.raw, known(node.name), resolve(node.name, node.path)));
          break;
        case 'include':
          renderFile(node.prompt, stack);
          break;
        case 'if': {
          const chosen = node.branches.find((branch) =>
            evaluateCondition(branch.condition, resolve(branch.condition.name, branch.condition.path)),
          );
          renderNodes(chosen?.body ?? node.otherwise ?? [], stack);
          break;
        }
      }
    }
  };

  renderFile(name, []);
  return out.join('');
}

/**
 * The value at `path` (object keys, or array indexes) inside a set value; a path that
 * leads nowhere is `unset`, so its placeholder stays unchanged and a condition sees it absent.
 */
export function pathInto(entry: ScopeEntry, path: readonly string[]): ScopeEntry {
  if (path.length === 0 || entry.state !== 'set') return path.length === 0 ? entry : { state: 'unset' };
  let value: unknown = entry.value;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return { state: 'unset' };
    value = (value as Record<string, unknown>)[key];
  }
  return { state: 'set', value };
}

function placeholderText(raw: string, mapped: boolean, entry: ScopeEntry): string {
  if (!mapped) return raw;
  if (entry.state === 'omitted') return OMITTED_INPUT_TEXT;
  if (entry.state === 'unset' || entry.value === null || entry.value === undefined) return raw;
  return formatValue(entry.value);
}

/**
 * The text of a value in a prompt (section 2): strings unchanged, objects and arrays
 * as 2-space indented JSON, anything else by `String()`.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value, null, 2);
  return String(value);
}

/** Section 2's falsy values: missing, `null`, `false`, `""`, `"false"`, `"0"` (and `0`). */
export function isTruthy(entry: ScopeEntry): boolean {
  if (entry.state !== 'set' || entry.value === null || entry.value === undefined) return false;
  const text = formatValue(entry.value);
  return text !== '' && text !== 'false' && text !== '0';
}

/** Evaluates one condition against the value its name maps to (section 2). */
export function evaluateCondition(condition: Condition, entry: ScopeEntry): boolean {
  switch (condition.kind) {
    case 'truthy':
      return isTruthy(entry);
    case 'falsy':
      return !isTruthy(entry);
    case 'equals':
    case 'not-equals': {
      if (entry.state !== 'set' || entry.value === null || entry.value === undefined) return false;
      const equal = formatValue(entry.value) === condition.literal;
      return condition.kind === 'equals' ? equal : !equal;
    }
  }
}
