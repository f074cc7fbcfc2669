import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'at-cli-missing-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A typo in --db: SQLite said only "unable to open database file" (found by a probe).
describe('report and verify on a SQLite file that does not exist', () => {
  const file = join(dir, 'typo.db');
  const url = `sqlite:./${relative(process.cwd(), file)}`;

  it('report says the file does not exist and names its absolute path, exit 1', async () => {
    const r = await runCli(['report', 'failures', '--db', url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`the file ${file} does not exist`);
    expect(r.err).not.toMatch(/unable to open/);
    expect(r.out).toBe('');
  });

  it('verify --db says the same, exit 2 (nothing judged)', async () => {
    const r = await runCli(['verify', '--db', url]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^audit-trail verify: cannot open SQLite database \\S+typo\\.db: the file ${file.replace(/[.]/g, '\\.')} does not exist\\n`));
    expect(r.out).toBe('');
    expect(existsSync(file)).toBe(false);
  });
});
