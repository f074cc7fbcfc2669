/**
 * Writes every generated file of the schema package: JSON Schemas
 * (packages/schema/json-schema/), the types compiled from them
 * (packages/schema/src/generated/), the DDL (sql/<dialect>/) and the report
 * queries (sql/queries/<dialect>/).
 *
 *   npm run generate                                     write them (repo root or package)
 *   npm run generate -w @audit-trail/schema -- --check   write nothing; exit 1 listing files
 *                                                        that differ (root `npm run generate
 *                                                        -- --check` does not forward the flag)
 *
 * Stale files (a generated file whose source is gone) are reported by --check
 * and removed by a normal run, inside the generated directories only.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGeneratedFiles, PACKAGE_DIR } from './generated-files.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Directories whose every file is generated (so unknown files there are stale). */
const OWNED_DIRS = [`${PACKAGE_DIR}/json-schema`, `${PACKAGE_DIR}/src/generated`, 'sql'];
/** Only these kinds of file can be stale output; anything else there (a README) is left alone. */
const GENERATED_EXT = /\.(sql|json|ts)$/;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'));
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const files = await buildGeneratedFiles();
  const existing = (await Promise.all(OWNED_DIRS.map(listFiles))).flat();
  const stale = existing.filter((f) => GENERATED_EXT.test(f) && !files.has(f));
  const changed: string[] = [];
  for (const [path, text] of files) {
    const current = await readFile(join(ROOT, path), 'utf8').catch(() => undefined);
    if (current === text) continue;
    changed.push(path);
    if (!check) {
      await mkdir(dirname(join(ROOT, path)), { recursive: true });
      await writeFile(join(ROOT, path), text);
    }
  }
  if (!check) for (const f of stale) await rm(join(ROOT, f));
  const verb = check ? 'differs' : 'written';
  for (const f of changed) process.stdout.write(`${verb}: ${f}\n`);
  for (const f of stale) process.stdout.write(`${check ? 'stale' : 'removed'}: ${f}\n`);
  process.stdout.write(`${files.size} generated files, ${changed.length} ${verb}, ${stale.length} stale\n`);
  return check && (changed.length || stale.length) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`generate failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
