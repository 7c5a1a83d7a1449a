/**
 * Prompt rules (docs/protocol.md sections 1, 2 and 15): prompt names, template syntax,
 * unknown includes, include cycles, and, for each block that renders a prompt, the
 * names its conditions and placeholders use against the block's `input` mapping.
 */
import { CONTEXT_INPUTS } from './run-input.js';
import { PROMPT_NAME, UPPER_SNAKE_CASE } from './naming.js';
import { parseTemplate, walkTemplate, type ParsedTemplate, type TemplateNode } from './prompt-template.js';
import type { InputMappingEntry } from './types.js';
import type { ValidationContext } from './validation-context.js';

/** A block field that renders a prompt: start-thread `system` or add-message `prompt`. */
export interface PromptUsage {
  prompt: string;
  input: readonly InputMappingEntry[];
  /** Path of the field naming the prompt, e.g. `['steps', 'Add request', 'prompt']`. */
  path: string[];
}

/** Checks every prompt file, then every usage of a prompt by a block. */
export function validatePrompts(ctx: ValidationContext, usages: readonly PromptUsage[]): void {
  const parsed = new Map<string, ParsedTemplate>();
  for (const prompt of ctx.protocol.prompts) {
    if (parsed.has(prompt.name)) {
      ctx.error(['prompts', prompt.name], `Prompt "${prompt.name}" is given twice.`);
      continue;
    }
    if (!PROMPT_NAME.test(prompt.name)) {
      ctx.error(['prompts', prompt.name], `Prompt name "${prompt.name}" must be lowercase-with-dashes (folders separated by \`/\`).`);
    }
    const template = parseTemplate(prompt.content);
    parsed.set(prompt.name, template);
    for (const error of template.errors) ctx.promptError(prompt.name, error.offset, error.message);
    for (const node of walkTemplate(template.nodes)) {
      if (node.kind === 'include' && ctx.prompt(node.prompt) === undefined) {
        ctx.promptError(prompt.name, node.offset, `Includes unknown prompt "${node.prompt}" (prompts/${node.prompt}.md).`);
      }
    }
  }
  reportIncludeCycles(ctx, parsed);
  for (const usage of usages) validateUsage(ctx, parsed, usage);
}

function includesOf(template: ParsedTemplate): Array<Extract<TemplateNode, { kind: 'include' }>> {
  return [...walkTemplate(template.nodes)].filter((node): node is Extract<TemplateNode, { kind: 'include' }> => node.kind === 'include');
}

/** Section 2: an include cycle is a validation error; reported at the include closing it. */
function reportIncludeCycles(ctx: ValidationContext, parsed: ReadonlyMap<string, ParsedTemplate>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    const template = parsed.get(name);
    if (!template) return;
    state.set(name, 'visiting');
    for (const include of includesOf(template)) {
      if (state.get(include.prompt) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(include.prompt)), name, include.prompt];
        ctx.promptError(name, include.offset, `Include cycle: ${cycle.join(' → ')}.`);
      } else if (state.get(include.prompt) !== 'done') {
        visit(include.prompt, [...trail, name]);
      }
    }
    state.set(name, 'done');
  };
  for (const name of parsed.keys()) if (!state.has(name)) visit(name, []);
}

/** Every node of `prompt` and of the prompts it includes, each prompt once. */
function nodesWithIncludes(parsed: ReadonlyMap<string, ParsedTemplate>, prompt: string): TemplateNode[] {
  const seen = new Set<string>();
  const nodes: TemplateNode[] = [];
  const collect = (name: string): void => {
    const template = parsed.get(name);
    if (!template || seen.has(name)) return;
    seen.add(name);
    for (const node of walkTemplate(template.nodes)) {
      nodes.push(node);
      if (node.kind === 'include') collect(node.prompt);
    }
  };
  collect(prompt);
  return nodes;
}

/**
 * For one block: the prompt exists; each condition tests a mapped label (a declared
 * but unmapped name is a warning: always absent here; an undeclared one an error);
 * `==`/`!=` literals belong to the mapped input's `enum`; an UPPER_SNAKE placeholder
 * that the mapping does not cover is a warning (it stays in the text unchanged); the
 * context inputs (`WORKER`, `TASK`), when the protocol does not declare them, need no mapping.
 */
function validateUsage(ctx: ValidationContext, parsed: ReadonlyMap<string, ParsedTemplate>, usage: PromptUsage): void {
  if (usage.prompt === '') return; // a missing required field, reported by the parser
  if (ctx.prompt(usage.prompt) === undefined) {
    ctx.error(usage.path, `Unknown prompt "${usage.prompt}" (expected prompts/${usage.prompt}.md).`);
    return;
  }
  const labels = new Map(usage.input.map((entry) => [entry.label, entry.source]));
  const reported = new Set<string>();
  const once = (key: string, report: () => void): void => {
    if (!reported.has(key)) {
      reported.add(key);
      report();
    }
  };
  // Context inputs the protocol does not declare are read without a mapping (section 4).
  const context = (name: string): boolean => CONTEXT_INPUTS.includes(name) && ctx.declaration(name) === undefined;
  for (const node of nodesWithIncludes(parsed, usage.prompt)) {
    if (node.kind === 'placeholder' && !labels.has(node.name) && !context(node.name) && UPPER_SNAKE_CASE.test(node.name)) {
      once(`placeholder:${node.name}`, () =>
        ctx.warning(usage.path, `Prompt "${usage.prompt}" uses {{${node.name}}}, which this block's \`input\` does not map; it stays in the text as written.`),
      );
    }
    if (node.kind !== 'if') continue;
    for (const { condition } of node.branches) {
      const source = labels.get(condition.name);
      if (source === undefined && context(condition.name)) continue;
      if (source === undefined) {
        const declared = ctx.declaration(condition.name) !== undefined;
        once(`condition:${condition.name}`, () =>
          declared
            ? ctx.warning(usage.path, `Prompt "${usage.prompt}" tests \`${condition.name}\`, which this block's \`input\` does not map; the condition always sees it absent.`)
            : ctx.error(usage.path, `Prompt "${usage.prompt}" has a condition on \`${condition.name}\`, which is neither mapped by this block nor declared.`),
        );
        continue;
      }
      const declaration = ctx.declaration(source);
      const allowed = declaration?.section === 'input' ? declaration.declaration.enum : undefined;
      if (allowed && (condition.kind === 'equals' || condition.kind === 'not-equals') && !allowed.includes(condition.literal)) {
        once(`literal:${condition.name}:${condition.literal}`, () =>
          ctx.error(usage.path, `Prompt "${usage.prompt}" compares \`${condition.name}\` with "${condition.literal}", which is not one of its enum values (${allowed.join(', ')}).`),
        );
      }
    }
  }
}
