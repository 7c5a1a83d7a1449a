/**
 * Reading a protocol package folder (docs/protocol.md section 1) into the shape that
 * `loadProtocolPackage` and the API take: `protocol.yaml`, `settings.json`,
 * `prompts/**\/*.md` and `references/*.md`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ProtocolPackageSource } from './parse.js';
import type { PromptFile, ReferenceFile } from './types.js';

/** A package folder's files; assignable to `ProtocolPackageSource`. */
export interface ProtocolPackageFiles extends ProtocolPackageSource {
  settings: unknown;
  references: ReferenceFile[];
}

/**
 * Reads the package in `dir`. Prompts are named by their path under `prompts/` minus
 * `.md`, with `/` separators on every platform (`prompts/shared/rules.md` →
 * `shared/rules`), sorted by name. `settings` is the parsed settings.json, or
 * undefined when the file is absent (the caller then supplies settings).
 * @throws when protocol.yaml is missing or settings.json is not valid JSON.
 */
export async function readProtocolPackage(dir: string): Promise<ProtocolPackageFiles> {
  const source = await readFile(join(dir, 'protocol.yaml'), 'utf8');
  const settingsText = await readOptional(join(dir, 'settings.json'));
  const settings: unknown = settingsText === undefined ? undefined : JSON.parse(settingsText);
  const prompts = await readMarkdownTree(join(dir, 'prompts'));
  const references = (await readMarkdownTree(join(dir, 'references'))).map(parseReference);
  return { source, settings, prompts, references };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/** Every `.md` file under `root` as `{name, content}`; an absent folder gives none. */
async function readMarkdownTree(root: string): Promise<PromptFile[]> {
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const files = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.md'));
  const prompts = await Promise.all(
    files.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      const name = relative(root, path).slice(0, -'.md'.length).split(sep).join('/');
      return { name, content: await readFile(path, 'utf8') };
    }),
  );
  return prompts.sort((a, b) => a.name.localeCompare(b.name));
}

/** A reference file: YAML front matter between `---` lines, with `description` (section 1). */
function parseReference(file: PromptFile): ReferenceFile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(file.content);
  const front: unknown = match ? parseYaml(match[1] ?? '') : null;
  const description =
    typeof front === 'object' && front !== null && 'description' in front && typeof front.description === 'string' ? front.description : '';
  return { name: file.name, description, content: match ? file.content.slice(match[0].length) : file.content };
}
