/**
 * Loading a protocol package: YAML → typed `Protocol` + diagnostics (docs/protocol.md
 * sections 1, 3 and 15). The entry point of the engine for the rest of the server.
 */
import { isMap, isScalar, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { hasErrors, ProtocolValidationError, type Diagnostic } from './diagnostics.js';
import {
  parseCapabilitySection,
  parseInputSection,
  parseMcpServersSection,
  parseResourcesSection,
  parseToolsSection,
  parseTypesSection,
  parseVariablesSection,
  parseWorkersSection,
  type SectionNode,
} from './parse-declarations.js';
import { parseStepsSection } from './parse-steps.js';
import { parseSettings } from './settings.js';
import type { PromptFile, Protocol, ProtocolFormat, ReferenceFile } from './types.js';
import { validateProtocol } from './validate.js';
import { YamlContext, type SourceMap } from './yaml-reader.js';

/** Largest accepted protocol.yaml, in UTF-16 code units (roughly bytes for YAML). */
export const MAX_PROTOCOL_SOURCE_LENGTH = 256 * 1024;

/** Largest accepted prompt or reference file. */
export const MAX_PROMPT_LENGTH = 256 * 1024;

/** Most prompt files in one package. */
export const MAX_PROMPT_COUNT = 500;

/** A protocol package as it travels over an API (section 1). */
export interface ProtocolPackageSource {
  /** protocol.yaml. */
  source: string;
  /**
   * settings.json, parsed; when the package has none the caller supplies it (the server
   * passes `{slug, name, format: 'worker'}`). Checked per section 1.
   */
  settings?: unknown;
  prompts: PromptFile[];
  references?: ReferenceFile[];
}

/** The outcome of loading: a protocol only when no diagnostic is an error. */
export interface LoadResult {
  protocol: Protocol | null;
  diagnostics: Diagnostic[];
}

/**
 * Which top-level sections each format allows (section 3). `workers` in a worker is
 * OPEN: allowed, since the seed documents `workers` on a worker's start-thread.
 */
const SECTIONS: Record<ProtocolFormat, readonly string[]> = {
  worker: ['input', 'variables', 'resources', 'types', 'tools', 'skills', 'mcpServers', 'onDemandMcpServers', 'workers', 'steps', 'output'],
  interactive: [
    'input',
    'variables',
    'resources',
    'types',
    'tools',
    'skills',
    'mcpServers',
    'onDemandMcpServers',
    'onDemandSkills',
    'workers',
    'triggers',
    'handlers',
    'agent',
  ],
};

/**
 * Parses and validates a package (sections 1–11, rules of section 15).
 *
 * Never throws for bad input: every problem is a `Diagnostic` with the line and column
 * of the offending YAML node (or of the prompt file for template errors, `null` for
 * settings). `protocol` is null when any diagnostic is an error. Only `format: worker`
 * packages load; an interactive package gets its section checks and then an error.
 */
export function loadProtocolPackage(pkg: ProtocolPackageSource): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const fail = (message: string, path: string[]): LoadResult => {
    diagnostics.push({ severity: 'error', message, line: null, column: null, path });
    return { protocol: null, diagnostics };
  };
  if (pkg.source.length > MAX_PROTOCOL_SOURCE_LENGTH) {
    return fail(`protocol.yaml is larger than ${MAX_PROTOCOL_SOURCE_LENGTH} characters.`, []);
  }
  if (pkg.prompts.length > MAX_PROMPT_COUNT) return fail(`A package may hold at most ${MAX_PROMPT_COUNT} prompts.`, ['prompts']);
  for (const file of [...pkg.prompts, ...(pkg.references ?? [])]) {
    if (file.content.length > MAX_PROMPT_LENGTH) {
      return fail(`"${file.name}" is larger than ${MAX_PROMPT_LENGTH} characters.`, ['prompts', file.name]);
    }
  }

  const settings = parseSettings(pkg.settings);
  diagnostics.push(...settings.diagnostics);
  const parsed = parseProtocolSource(pkg.source, settings.settings?.format ?? 'worker');
  diagnostics.push(...parsed.diagnostics);
  if (!parsed.sections) return { protocol: null, diagnostics };
  if (settings.settings?.format === 'interactive') {
    return fail('This server runs `format: worker` protocols; interactive agents are not supported.', ['settings', 'format']);
  }

  const protocol: Protocol = {
    // Invalid settings were reported above; the placeholder lets the rest be validated.
    settings: settings.settings ?? { slug: '', name: '', format: 'worker' },
    ...parsed.sections,
    prompts: pkg.prompts.map(({ name, content }) => ({ name, content })),
    references: (pkg.references ?? []).map(({ name, description, content }) => ({ name, description, content })),
  };
  diagnostics.push(...validateProtocol(protocol, parsed.sourceMap));
  return { protocol: hasErrors(diagnostics) ? null : protocol, diagnostics };
}

/**
 * Like `loadProtocolPackage`, but returns the protocol or throws
 * `ProtocolValidationError` carrying every diagnostic.
 */
export function loadProtocolPackageOrThrow(pkg: ProtocolPackageSource): Protocol {
  const { protocol, diagnostics } = loadProtocolPackage(pkg);
  if (!protocol) throw new ProtocolValidationError(diagnostics);
  return protocol;
}

/** Everything of a `Protocol` that protocol.yaml holds. */
export type ProtocolSections = Omit<Protocol, 'settings' | 'prompts' | 'references'>;

/**
 * Parses protocol.yaml alone (no settings, no prompts, no cross-reference checks):
 * YAML syntax and duplicate keys, the sections legal for `format`, and every section's
 * shape. `sections` is null when the YAML cannot be read at all.
 */
export function parseProtocolSource(
  source: string,
  format: ProtocolFormat,
): { sections: ProtocolSections | null; diagnostics: Diagnostic[]; sourceMap: SourceMap } {
  const lineCounter = new LineCounter();
  // uniqueKeys: duplicate keys (two steps with one name) are errors (section 3).
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const ctx = new YamlContext(document, lineCounter);
  const yamlProblems = [...document.errors.map((e) => [e, 'error'] as const), ...document.warnings.map((w) => [w, 'warning'] as const)];
  for (const [problem, severity] of yamlProblems) ctx.report(severity, positionOf(problem, lineCounter), [], yamlMessage(problem, source));
  if (document.errors.length > 0) return { sections: null, diagnostics: ctx.diagnostics, sourceMap: ctx.sourceMap };

  const root = document.contents;
  if (root !== null && !(isScalar(root) && root.value === null) && !isMap(root)) {
    ctx.error(root, [], 'protocol.yaml must be a mapping of sections (`input`, `steps`, …).');
    return { sections: null, diagnostics: ctx.diagnostics, sourceMap: ctx.sourceMap };
  }
  const sections = new Map<string, SectionNode>();
  for (const entry of isMap(root) ? ctx.entries(root, []) : []) {
    const section: SectionNode = { value: entry.value, key: entry.keyNode, path: [entry.key] };
    // A scalar section (`output`) is located at its value, a mapping at its key.
    ctx.sourceMap.set(section.path, ctx.position(isScalar(entry.value) && entry.value.value !== null ? entry.value : entry.keyNode));
    if (SECTIONS[format].includes(entry.key)) sections.set(entry.key, section);
    else if (SECTIONS.interactive.includes(entry.key) || SECTIONS.worker.includes(entry.key)) {
      const other = format === 'worker' ? 'interactive agents' : 'workers';
      ctx.error(entry.keyNode, section.path, `\`${entry.key}\` is only allowed in ${other}; a ${format} cannot have it.`);
    } else {
      ctx.error(entry.keyNode, section.path, `Unknown top-level section \`${entry.key}\`; expected one of ${SECTIONS[format].map((s) => `\`${s}\``).join(', ')}.`);
    }
  }
  const section = (name: string): SectionNode => sections.get(name) ?? { value: null, key: null, path: [name] };

  const input = parseInputSection(ctx, section('input'));
  const variables = parseVariablesSection(ctx, section('variables'));
  const resources = parseResourcesSection(ctx, section('resources'));
  const declared = new Set([...input, ...variables, ...resources].map((declaration) => declaration.name));
  let steps: ProtocolSections['steps'] = [];
  if (format === 'worker') {
    if (sections.has('steps')) steps = parseStepsSection(ctx, section('steps'), declared);
    else ctx.error(null, ['steps'], 'A worker must have `steps`.');
  }
  const result: ProtocolSections = {
    input,
    variables,
    resources,
    types: parseTypesSection(ctx, section('types')),
    tools: parseToolsSection(ctx, section('tools')),
    skills: parseCapabilitySection(ctx, section('skills')),
    mcpServers: parseMcpServersSection(ctx, section('mcpServers')),
    onDemandMcpServers: parseCapabilitySection(ctx, section('onDemandMcpServers')),
    workers: parseWorkersSection(ctx, section('workers')),
    steps,
  };
  const output = sections.get('output');
  if (output) {
    const name = isScalar(output.value) && typeof output.value.value === 'string' ? output.value.value : null;
    if (name) result.output = name;
    else ctx.error(output.value ?? output.key, ['output'], '`output` must name a variable.');
  }
  return { sections: result, diagnostics: ctx.diagnostics, sourceMap: ctx.sourceMap };
}

function positionOf(problem: YAMLError, lineCounter: LineCounter): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(problem.pos[0]);
  return { line, column: col };
}

/** The YAML library's message (first line; the position is in the diagnostic). */
function yamlMessage(problem: YAMLError, source: string): string {
  if (problem.code === 'DUPLICATE_KEY') {
    const rest = source.slice(problem.pos[0]);
    const key = (/^("[^"\n]*"|'[^'\n]*'|[^:\n]+?)\s*:(\s|$)/.exec(rest)?.[1] ?? rest.split('\n')[0] ?? '').trim();
    return `Duplicate key \`${key}\`: a step name, section or field may appear only once in its mapping.`;
  }
  return `YAML: ${problem.message.split('\n')[0] ?? problem.message}`;
}
