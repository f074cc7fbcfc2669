/**
 * Every ```ts snippet of the README runs (through tsx, against src/) and
 * prints what its comments claim, so the documentation cannot rot.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/report-suite.js';

const run = promisify(execFile);
const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const SNIPPETS = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** Output each snippet must print, by the index of the snippet. */
const EXPECT: RegExp[] = [
  /event_id: required field is missing \(expected string\)\nlog_type: required field is missing \(expected "security_audit"\)[\s\S]*client_ip: must be an IPv4 or IPv6 address/,
  /^true$/m,
  /^true\nfalse$/m,
  /^signature$/m,
  /Authentication 300201\n\[ 'process' \]/,
  /security_audit_events[\s\S]*'-' \|\| 7 \|\| ' days'/,
];

describe('README snippets', () => {
  it('has the snippets this test knows about', () => {
    expect(SNIPPETS).toHaveLength(EXPECT.length);
  });

  it.each(SNIPPETS.map((s, i) => [i, s] as const))('snippet %i runs and prints what it says', async (i, code) => {
    const file = join(import.meta.dirname, `.readme-${i}-${randomBytes(4).toString('hex')}.ts`);
    await writeFile(file, `${code}\nexport {};\n`);
    try {
      const { stdout } = await run(TSX, ['-C', '@audit-trail/source', file], { cwd: REPO_ROOT });
      expect(stdout).toMatch(EXPECT[i]!);
    } finally {
      await rm(file, { force: true });
    }
  });
});
