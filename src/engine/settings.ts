/**
 * settings.json (docs/protocol.md section 1): `slug`, `name` and `format` are required, the
 * slug is `lowercase-with-dashes`, `description` is optional.
 */
import type { Diagnostic } from './diagnostics.js';
import { KEBAB_CASE } from './naming.js';
import type { ProtocolFormat, ProtocolSettings } from './types.js';

const FORMATS: readonly ProtocolFormat[] = ['interactive', 'worker'];

/**
 * Checks settings supplied by the caller (the parsed settings.json, or what the server
 * stores for a worker). Returns the settings, or null with at least one error; the
 * diagnostics have no line (settings are not in protocol.yaml) and a path
 * `['settings', field]`.
 */
export function parseSettings(value: unknown): { settings: ProtocolSettings | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fail = (field: string | null, message: string): void => {
    diagnostics.push({ severity: 'error', message, line: null, column: null, path: field ? ['settings', field] : ['settings'] });
  };
  if (value === undefined || value === null) {
    fail(null, 'settings.json is missing.');
    return { settings: null, diagnostics };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(null, 'settings.json must be an object.');
    return { settings: null, diagnostics };
  }
  const record = value as Record<string, unknown>;
  const text = (field: string, required: boolean): string | undefined => {
    const found = record[field];
    if (found === undefined || found === null) {
      if (required) fail(field, `settings.json is missing required field \`${field}\`.`);
      return undefined;
    }
    if (typeof found !== 'string' || found.trim() === '') {
      fail(field, `settings.json field \`${field}\` must be a non-empty string.`);
      return undefined;
    }
    return found;
  };

  const slug = text('slug', true);
  if (slug !== undefined && !KEBAB_CASE.test(slug)) {
    fail('slug', `Slug "${slug}" must be lowercase letters, digits and dashes (e.g. \`title-generator\`).`);
  }
  const name = text('name', true);
  const description = text('description', false);
  const format = text('format', true);
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    fail('format', `settings.json \`format\` must be \`interactive\` or \`worker\`; got "${format}".`);
  }
  for (const field of Object.keys(record)) {
    if (!['slug', 'name', 'description', 'format'].includes(field)) {
      diagnostics.push({ severity: 'warning', message: `Unknown settings.json field \`${field}\`.`, line: null, column: null, path: ['settings', field] });
    }
  }
  if (diagnostics.some((d) => d.severity === 'error') || !slug || !name || !format) return { settings: null, diagnostics };
  return { settings: { slug, name, format: format as ProtocolFormat, ...(description ? { description } : {}) }, diagnostics };
}
