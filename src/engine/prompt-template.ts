/**
 * The syntax of prompt templates (docs/protocol.md section 2): includes `{{@name.md}}`,
 * conditionals `{{#if C}} … {{else if C}} … {{else}} … {{/if}}` and placeholders
 * `{{NAME}}`. `parseTemplate` turns one prompt file into a tree; validation reads the
 * tree for errors, `render.ts` walks it.
 *
 * Choice: an `{{#if}}` must be closed in the file that opens it. Section 2 expands
 * includes textually before conditionals; with balanced files, walking each file's tree
 * and rendering includes in place gives the same text, and every syntax error keeps the
 * line and column of its own file.
 */

/** A condition (section 2): exactly one of `VAR`, `!VAR`, `VAR == "lit"`, `VAR != "lit"`. */
export type Condition =
  | { kind: 'truthy'; name: string; path: string[] }
  | { kind: 'falsy'; name: string; path: string[] }
  | { kind: 'equals'; name: string; path: string[]; literal: string }
  | { kind: 'not-equals'; name: string; path: string[]; literal: string };

/** A node of a parsed template; `offset` is where its `{{` starts in the file. */
export type TemplateNode =
  | { kind: 'text'; text: string }
  /** `{{NAME}}`, or `{{NAME.key.key}}` with the keys in `path` (read inside NAME's value). */
  | { kind: 'placeholder'; name: string; path: string[]; raw: string; offset: number }
  | { kind: 'include'; prompt: string; offset: number }
  | {
      kind: 'if';
      branches: Array<{ condition: Condition; body: TemplateNode[]; offset: number }>;
      otherwise: TemplateNode[] | null;
      offset: number;
    };

/** A syntax error at `offset` of the template text. */
export interface TemplateSyntaxError {
  message: string;
  offset: number;
}

/** A parsed template; `errors` is empty when the syntax is valid. */
export interface ParsedTemplate {
  nodes: TemplateNode[];
  errors: TemplateSyntaxError[];
}

/** A name, optionally followed by dotted keys into its value (`WORKER.persona.background`). */
const NAME = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*';
const TAG = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER = new RegExp(`^${NAME}$`);
const INCLUDE = /^@(\S+)\.md$/;
const TRUTHY = new RegExp(`^(!?)(${NAME})$`);
const COMPARISON = new RegExp(`^(${NAME})\\s*(==|!=)\\s*"([^"]*)"$`);

/** The prompt name an include path refers to: `{{@shared/rules.md}}` → `shared/rules`. */
export function includedPromptName(tag: string): string | null {
  return INCLUDE.exec(tag)?.[1] ?? null;
}

/** Parses a condition (the text after `#if` or `else if`), or null when malformed. */
export function parseCondition(text: string): Condition | null {
  const truthy = TRUTHY.exec(text);
  if (truthy) return { kind: truthy[1] === '!' ? 'falsy' : 'truthy', ...splitName(truthy[2] ?? '') };
  const comparison = COMPARISON.exec(text);
  if (!comparison) return null;
  const [, name = '', operator, literal = ''] = comparison;
  return { kind: operator === '==' ? 'equals' : 'not-equals', ...splitName(name), literal };
}

/** `WORKER.persona.background` → name `WORKER`, path `['persona', 'background']`. */
export function splitName(dotted: string): { name: string; path: string[] } {
  const [name = '', ...path] = dotted.split('.');
  return { name, path };
}

/** Where a conditional's open branch collects its nodes while parsing. */
interface OpenConditional {
  node: Extract<TemplateNode, { kind: 'if' }>;
  /** The list the next nodes go to: the last branch's body, or `otherwise`. */
  target: TemplateNode[];
}

/**
 * Parses one template. Never throws: malformed tags become `errors` (and are kept as
 * text). Tags other than the four directives and `NAME` / `NAME.key` placeholders
 * (`{{ spaced }}`) are plain text, left unchanged by rendering (section 2).
 */
export function parseTemplate(text: string): ParsedTemplate {
  const root: TemplateNode[] = [];
  const errors: TemplateSyntaxError[] = [];
  const open: OpenConditional[] = [];
  const target = (): TemplateNode[] => open.at(-1)?.target ?? root;
  const pushText = (chunk: string): void => {
    if (chunk === '') return;
    const list = target();
    const last = list.at(-1);
    if (last?.kind === 'text') last.text += chunk;
    else list.push({ kind: 'text', text: chunk });
  };

  let cursor = 0;
  for (const match of text.matchAll(TAG)) {
    const offset = match.index;
    const raw = match[0];
    const inner = match[1] ?? '';
    const directive = inner.trim();
    pushText(text.slice(cursor, offset));
    cursor = offset + raw.length;
    /** Records a syntax error; the malformed tag stays in the text. */
    const fail = (message: string): void => {
      errors.push({ message, offset });
      pushText(raw);
    };

    if (directive.startsWith('@')) {
      const prompt = includedPromptName(directive);
      if (prompt) target().push({ kind: 'include', prompt, offset });
      else fail(`Malformed include \`${raw}\`; write \`{{@path/to/prompt.md}}\`.`);
    } else if (directive.startsWith('#')) {
      const condition = /^#if\s+(.+)$/.exec(directive);
      const parsed = condition ? parseCondition((condition[1] ?? '').trim()) : null;
      if (!condition) fail(`Unsupported block \`${raw}\`; only \`{{#if …}}\` exists.`);
      else if (!parsed) fail(malformedCondition(raw));
      else {
        const body: TemplateNode[] = [];
        const node: OpenConditional['node'] = { kind: 'if', branches: [{ condition: parsed, body, offset }], otherwise: null, offset };
        target().push(node);
        open.push({ node, target: body });
      }
    } else if (directive === 'else' || /^else\s/.test(directive)) {
      const current = open.at(-1);
      const elseIf = /^else\s+if\s+(.+)$/.exec(directive);
      if (!current) fail(`\`${raw}\` outside of an \`{{#if}}\`.`);
      else if (current.node.otherwise) fail(`\`${raw}\` after \`{{else}}\`.`);
      else if (directive === 'else') {
        current.node.otherwise = [];
        current.target = current.node.otherwise;
      } else if (!elseIf) fail(`Malformed \`${raw}\`; write \`{{else}}\` or \`{{else if CONDITION}}\`.`);
      else {
        const parsed = parseCondition((elseIf[1] ?? '').trim());
        if (!parsed) fail(malformedCondition(raw));
        else {
          const body: TemplateNode[] = [];
          current.node.branches.push({ condition: parsed, body, offset });
          current.target = body;
        }
      }
    } else if (directive.startsWith('/')) {
      if (directive !== '/if') fail(`Unsupported closing tag \`${raw}\`; only \`{{/if}}\` exists.`);
      else if (!open.pop()) fail('`{{/if}}` without a matching `{{#if}}`.');
    } else if (PLACEHOLDER.test(inner)) {
      target().push({ kind: 'placeholder', ...splitName(inner), raw, offset });
    } else {
      pushText(raw);
    }
  }
  pushText(text.slice(cursor));
  for (const unclosed of open) {
    errors.push({ message: '`{{#if}}` is never closed with `{{/if}}`.', offset: unclosed.node.offset });
  }
  return { nodes: root, errors };
}

function malformedCondition(raw: string): string {
  return `Malformed condition in \`${raw}\`; write \`VAR\`, \`!VAR\`, \`VAR == "text"\` or \`VAR != "text"\`.`;
}

/** Every node of `nodes`, depth first, conditionals' branches included. */
export function* walkTemplate(nodes: readonly TemplateNode[]): Generator<TemplateNode> {
  for (const node of nodes) {
    yield node;
    if (node.kind === 'if') {
      for (const branch of node.branches) yield* walkTemplate(branch.body);
      if (node.otherwise) yield* walkTemplate(node.otherwise);
    }
  }
}

/** The 1-based line and column of `offset` in `text`. */
export function positionInText(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
