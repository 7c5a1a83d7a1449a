/**
 * Cross-reference validation of a parsed worker protocol (docs/protocol.md section 15):
 * names and conventions, types, tools, threads started before use, every name a block
 * reads or writes, prompts, the deprecations, and what this server runs
 * (validate-support.ts). Called by `loadProtocolPackage`
 * after the shape of each section has been read.
 */
import type { Diagnostic } from './diagnostics.js';
import { KEBAB_CASE, MCP_TOOL_SEPARATOR, MODEL_ID, RESERVED_TOOL_PREFIX, UPPER_SNAKE_CASE } from './naming.js';
import type { BlockOf, InputMappingEntry, Protocol } from './types.js';
import { validatePrompts, type PromptUsage } from './validate-prompts.js';
import { validateSupport } from './validate-support.js';
import { checkTypeReference, validateTypes } from './validate-types.js';
import { CONTEXT_INPUTS } from './run-input.js';
import { ValidationContext } from './validation-context.js';
import type { SourceMap } from './yaml-reader.js';

/**
 * Runs every section 15 rule that applies to a worker on `protocol`, whose positions
 * are in `sourceMap`. Returns the diagnostics (errors and warnings); never throws.
 */
export function validateProtocol(protocol: Protocol, sourceMap: SourceMap): Diagnostic[] {
  const ctx = new ValidationContext(protocol, sourceMap);
  validateDeclarations(ctx);
  validateTypes(ctx);
  validateTools(ctx);
  const usages = validateSteps(ctx);
  validatePrompts(ctx, usages);
  validateOutput(ctx);
  validateSupport(ctx);
  return ctx.diagnostics;
}

/** Section 4 names: UPPER_SNAKE_CASE, unique across input/variables/resources; types exist. */
function validateDeclarations(ctx: ValidationContext): void {
  const { protocol } = ctx;
  const seen = new Map<string, string>();
  const sections = [
    ['input', protocol.input],
    ['variables', protocol.variables],
    ['resources', protocol.resources],
  ] as const;
  for (const [section, declarations] of sections) {
    for (const declaration of declarations) {
      const path = [section, declaration.name];
      if (!UPPER_SNAKE_CASE.test(declaration.name)) ctx.error(path, `\`${declaration.name}\` must be UPPER_SNAKE_CASE.`);
      const earlier = seen.get(declaration.name);
      if (earlier) ctx.error(path, `\`${declaration.name}\` is already declared in \`${earlier}\`.`);
      seen.set(declaration.name, section);
      checkTypeReference(ctx, declaration.type, [...path, 'type']);
    }
  }
  if (protocol.resources.length > 0) {
    ctx.warning(['resources'], 'Resources are deprecated; prefer variables and the worker output.');
  }
  for (const worker of protocol.workers) checkToolLikeName(ctx, ['workers', worker.slug], worker.slug, 'Worker slug');
  for (const server of protocol.mcpServers) checkMcpServerName(ctx, server.name);
  for (const reference of protocol.references) {
    if (!KEBAB_CASE.test(reference.name)) ctx.error(['references', reference.name], `Reference name "${reference.name}" must be lowercase-with-dashes.`);
    if (reference.description.trim() === '') ctx.error(['references', reference.name], `Reference "${reference.name}" needs a \`description\` in its front matter.`);
  }
  const used = new Set(protocol.steps.flatMap((block) => (block.kind === 'start-thread' ? block.references : [])));
  for (const reference of protocol.references) {
    if (!used.has(reference.name)) ctx.warning(['references', reference.name], `Reference "${reference.name}" is not used by any thread.`);
  }
}

/** Section 1: lowercase-with-dashes and no `octavus_` prefix. */
function checkToolLikeName(ctx: ValidationContext, path: string[], name: string, what: string): void {
  if (name.startsWith(RESERVED_TOOL_PREFIX)) ctx.error(path, `${what} \`${name}\` must not start with \`${RESERVED_TOOL_PREFIX}\` (reserved for built-in tools).`);
  else if (!KEBAB_CASE.test(name)) ctx.error(path, `${what} \`${name}\` must be lowercase-with-dashes.`);
}

/**
 * An MCP server's name namespaces its tools (`<name>__<tool>`, see `MCP_TOOL_SEPARATOR`):
 * lowercase-with-dashes, and not `octavus`, whose tools would take the built-in prefix.
 */
function checkMcpServerName(ctx: ValidationContext, name: string): void {
  const path = ['mcpServers', name];
  if (!KEBAB_CASE.test(name)) ctx.error(path, `MCP server name \`${name}\` must be lowercase-with-dashes (its tools are called \`${name}${MCP_TOOL_SEPARATOR}<tool>\`).`);
  else if (`${name}${MCP_TOOL_SEPARATOR}`.startsWith(RESERVED_TOOL_PREFIX)) {
    ctx.error(path, `MCP server name \`${name}\` is reserved: its tools would start with \`${RESERVED_TOOL_PREFIX}\` (built-in tools).`);
  }
}

/** Section 6: tool names, parameter types; worker tool mappings name declared tools. */
function validateTools(ctx: ValidationContext): void {
  const { protocol } = ctx;
  for (const tool of protocol.tools) {
    checkToolLikeName(ctx, ['tools', tool.name], tool.name, 'Tool name');
    for (const parameter of tool.parameters) {
      checkTypeReference(ctx, parameter.type, ['tools', tool.name, 'parameters', parameter.name, 'type']);
    }
  }
  const tools = new Set(protocol.tools.map((tool) => tool.name));
  for (const worker of protocol.workers) {
    for (const mapping of worker.tools) {
      if (!tools.has(mapping.parentTool)) {
        ctx.error(['workers', worker.slug, 'tools', mapping.workerTool], `Worker tool \`${mapping.workerTool}\` maps to unknown tool \`${mapping.parentTool}\`.`);
      }
    }
  }
}

/** Section 10: the top-level `output` names a declared variable. */
function validateOutput(ctx: ValidationContext): void {
  const output = ctx.protocol.output;
  if (output === undefined) return;
  const found = ctx.declaration(output);
  if (found?.section !== 'variables') {
    ctx.error(['output'], found ? `\`output\` must name a variable; \`${output}\` is declared in \`${found.section}\`.` : `\`output\` names \`${output}\`, which is not declared in \`variables\`.`);
  }
}

/**
 * Walks the steps in order, tracking started threads (section 7: a worker has no
 * implicit thread). Returns the prompt usages for validate-prompts.ts.
 */
function validateSteps(ctx: ValidationContext): PromptUsage[] {
  const started = new Map<string, string>();
  const usages: PromptUsage[] = [];
  for (const block of ctx.protocol.steps) {
    const path = ['steps', block.name];
    const at = (field: string): string[] => [...path, field];
    const requireThread = (thread: string): void => {
      if (!started.has(thread)) {
        const how = thread === 'main' ? ' (the default when `thread` is omitted)' : '';
        ctx.error(at('thread'), `Thread \`${thread}\`${how} is used before any earlier step starts it with \`start-thread\`.`);
      }
    };
    switch (block.kind) {
      case 'start-thread':
        validateStartThread(ctx, block, path);
        // OPEN (section 7): starting a thread that exists is an error, as suggested.
        if (started.has(block.thread)) ctx.error(at('thread'), `Thread \`${block.thread}\` is already started by step \`${started.get(block.thread)}\`.`);
        started.set(block.thread, block.name);
        usages.push({ prompt: block.system, input: block.input, path: at('system') });
        checkMapping(ctx, block.input, at('input'));
        break;
      case 'add-message':
        requireThread(block.thread);
        usages.push({ prompt: block.prompt, input: block.input, path: at('prompt') });
        checkMapping(ctx, block.input, at('input'));
        block.files.forEach((name, index) => checkReadable(ctx, name, [...at('files'), String(index)]));
        if (block.uiContent !== undefined) checkReadable(ctx, block.uiContent, at('uiContent'));
        break;
      case 'next-message':
        requireThread(block.thread);
        if (block.responseType !== undefined) checkResponseType(ctx, block.responseType, at('responseType'));
        if (block.responseSchema !== undefined) {
          if (block.responseType !== undefined) ctx.error(at('responseSchema'), '`responseSchema` and `responseType` cannot both be given; keep one.');
          else if (!CONTEXT_INPUTS.includes(block.responseSchema.name)) checkReadable(ctx, block.responseSchema.name, at('responseSchema'));
        }
        break;
      case 'serialize-thread':
        requireThread(block.thread);
        break;
      case 'tool-call':
        validateToolCall(ctx, block, path);
        break;
      case 'set-resource':
        validateSetResource(ctx, block, path);
        break;
      case 'generate-image':
        checkReadable(ctx, block.prompt, at('prompt'));
        block.referenceImages.forEach((name, index) => checkReadable(ctx, name, [...at('referenceImages'), String(index)]));
        break;
      case 'generate-speech':
        checkReadable(ctx, block.text, at('text'));
        break;
      case 'transcribe-audio':
        checkReadable(ctx, block.audio, at('audio'));
        break;
      case 'run-worker':
        if (!ctx.protocol.workers.some((worker) => worker.slug === block.worker)) {
          ctx.error(at('worker'), `Unknown worker \`${block.worker}\`; declare it under \`workers:\`.`);
        }
        checkMapping(ctx, block.input, at('input'));
        break;
    }
    const output = 'output' in block ? block.output : undefined;
    if (output !== undefined) checkWritable(ctx, output, at('output'));
  }
  return usages;
}

function validateStartThread(ctx: ValidationContext, block: BlockOf<'start-thread'>, path: string[]): void {
  const { protocol } = ctx;
  const at = (field: string): string[] => [...path, field];
  const checkNames = (field: string, names: readonly string[], known: ReadonlySet<string>, what: string, where: string): void => {
    names.forEach((name, index) => {
      if (!known.has(name)) ctx.error([...at(field), String(index)], `Unknown ${what} \`${name}\`; ${where}.`);
    });
  };
  checkNames('tools', block.tools, new Set(protocol.tools.map((t) => t.name)), 'tool', 'declare it under `tools:`');
  checkNames('skills', block.skills, new Set(protocol.skills.map((s) => s.name)), 'skill', 'declare it under `skills:`');
  checkNames('mcpServers', block.mcpServers, new Set(protocol.mcpServers.map((s) => s.name)), 'MCP server', 'declare it under `mcpServers:`');
  checkNames('references', block.references, new Set(protocol.references.map((r) => r.name)), 'reference', 'add references/<name>.md');
  checkNames('workers', block.workers, new Set(protocol.workers.map((w) => w.slug)), 'worker', 'declare it under `workers:`');
  const model = block.model?.kind === 'literal' ? block.model.value : null;
  if (block.anthropic && model !== null && MODEL_ID.test(model) && !model.startsWith('anthropic/')) {
    ctx.error(at('anthropic'), `\`anthropic\` options need an Anthropic model; \`${model}\` is not one.`);
  }
  if (block.speed?.kind === 'literal' && block.speed.value === 'fast' && model !== null) {
    ctx.warning(at('speed'), `\`speed: fast\` has no effect: no model this server knows, \`${model}\` included, has a fast mode.`);
  }
}

/** Section 5: `responseType` names an object type (not a union, array or primitive). */
function checkResponseType(ctx: ValidationContext, name: string, path: string[]): void {
  const type = ctx.type(name);
  if (!type) ctx.error(path, `Unknown type \`${name}\`; declare it under \`types:\`.`);
  else if (type.kind !== 'object') ctx.error(path, `\`responseType\` must be an object type; \`${name}\` is ${type.kind === 'union' ? 'a union' : 'an array type'} (wrap it in an object type).`);
}

function validateToolCall(ctx: ValidationContext, block: BlockOf<'tool-call'>, path: string[]): void {
  const tool = ctx.protocol.tools.find((candidate) => candidate.name === block.tool);
  if (!tool) {
    ctx.error([...path, 'tool'], `Unknown tool \`${block.tool}\`; declare it under \`tools:\`.`);
    return;
  }
  const given = new Set(block.input.map((entry) => entry.parameter));
  for (const entry of block.input) {
    if (!tool.parameters.some((parameter) => parameter.name === entry.parameter)) {
      ctx.error([...path, 'input', entry.parameter], `Tool \`${tool.name}\` has no parameter \`${entry.parameter}\`.`);
    }
  }
  for (const parameter of tool.parameters) {
    if (!parameter.optional && !given.has(parameter.name)) {
      ctx.error([...path, 'input'], `Tool \`${tool.name}\` needs parameter \`${parameter.name}\`.`);
    }
  }
}

function validateSetResource(ctx: ValidationContext, block: BlockOf<'set-resource'>, path: string[]): void {
  ctx.warning([...path, 'block'], '`set-resource` is deprecated; write a variable and return it as the worker output.');
  const found = ctx.declaration(block.resource);
  if (found?.section !== 'resources') ctx.error([...path, 'resource'], `\`${block.resource}\` is not a declared resource.`);
  else if (found.declaration.readonly) ctx.error([...path, 'resource'], `Resource \`${block.resource}\` is readonly.`);
  checkReadable(ctx, block.value, [...path, 'value']);
}

/** Every mapping source is a declared input, variable or resource (section 8). */
function checkMapping(ctx: ValidationContext, mapping: readonly InputMappingEntry[], path: string[]): void {
  for (const entry of mapping) checkReadable(ctx, entry.source, [...path, entry.label]);
}

function checkReadable(ctx: ValidationContext, name: string, path: string[]): void {
  if (!ctx.declaration(name)) ctx.error(path, `\`${name}\` is not a declared input, variable or resource.`);
}

/** A block output names a variable: inputs are immutable, resources change through set-resource. */
function checkWritable(ctx: ValidationContext, name: string, path: string[]): void {
  const found = ctx.declaration(name);
  if (!found) ctx.error(path, `\`${name}\` is not declared in \`variables\`.`);
  else if (found.section === 'input') ctx.error(path, `\`${name}\` is an input; inputs cannot be written. Declare a variable.`);
  else if (found.section === 'resources') ctx.error(path, `\`${name}\` is a resource; block outputs write variables (use set-resource for resources).`);
}
