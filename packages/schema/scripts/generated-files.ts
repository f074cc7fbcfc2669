import { buildJsonSchemas, UNION_FILE } from './json-schemas.js';
import { compileJsonTypes } from './json-types.js';
import { buildSqlFiles } from './sql-files.js';

/** Where the schema package lives, relative to the repository root. */
export const PACKAGE_DIR = 'packages/schema';

/** JSON text as committed: two-space indent, trailing newline, key order as built (deterministic). */
export function jsonText(value: unknown): string {
  // DEL, the C1 controls and U+2028/9 (in patterns, written as themselves:
  // json-schemas.ts portablePattern) as JSON escapes: JSON.stringify leaves
  // them raw, invisible in an editor or a diff. Parsers read the same text.
  return `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/**
 * Every generated file, keyed by path relative to the repository root, with
 * its exact content. Pure: no clock, no environment, so the output is the same
 * on every run and CI can diff it against the committed files.
 */
export async function buildGeneratedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const schemas = buildJsonSchemas();
  for (const [name, doc] of schemas) files.set(`${PACKAGE_DIR}/json-schema/${name}`, jsonText(doc));
  files.set(`${PACKAGE_DIR}/src/generated/audit-event.ts`, await compileJsonTypes(schemas.get(UNION_FILE)!));
  for (const [path, text] of buildSqlFiles()) files.set(path, text);
  return files;
}
