/**
 * The README's tour runs, block by block and in order, in one scratch
 * directory inside the repository (so `@audit-trail/*` resolve): `ts` blocks
 * through tsx against src/, `sh` blocks through bash with `npx audit-trail`
 * meaning this checkout's CLI. Each block must print what the README implies.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const tour = README.slice(README.indexOf('## A tour'), README.indexOf('\n## ', README.indexOf('## A tour') + 1));
const BLOCKS = [...tour.matchAll(/```(ts|sh)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
const BIN = join(REPO, 'node_modules', '.bin');
const scratch = mkdtempSync(join(REPO, 'test', '.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What each block must print, by position in the tour. */
const EXPECT: RegExp[] = [
  /^$/,
  /^10 issues, among them:\nevent_id: required field is missing \(expected string\)\nclient_ip: must be an IPv4 or IPv6 address in text form \(no port, no zone id\)\n$/,
  /^4 lines\n$/,
  /^200 true\n$/,
  /^\{ accepted: 4, rejected: 0 \}\n\{ committed: 4, duplicates: 4, rejected: 1 \}\n$/,
  /OK +chain=\S+ service=webauthn-api[^\n]* records=4 [^\n]*closed\n[^\n]*1 chain \(1 clean\), 0 findings[\s\S]*OK +chain=[\s\S]*1 chain \(1 clean\), 0 findings[\s\S]*event_timestamp,event_type,user_id,client_ip,error_details,node,service\r\n\S+,WEBAUTHN_AUTH_FAILURE,u-77,198\.51\.100\.2,SIGNATURE_INVALID: signature did not verify,,webauthn-api\r\n\S+,WEBAUTHN_AUTH_FAILURE,u-1842,203\.0\.113\.7,/,
];

describe('README tour', () => {
  it('has the blocks this test knows about', () => {
    expect(BLOCKS.map((b) => b.lang)).toEqual(['sh', 'ts', 'ts', 'ts', 'ts', 'sh']);
  });

  // Sequential on purpose: each block uses what the previous ones wrote.
  for (const [i, block] of BLOCKS.entries()) {
    it(`block ${i} (${block.lang}) runs and prints what the README says`, async () => {
      let out: { stdout: string; stderr: string };
      const env = { ...process.env, PATH: `${BIN}:${process.env.PATH}`, NO_COLOR: '1' };
      if (block.lang === 'ts') {
        const file = join(scratch, `block-${i}.ts`);
        writeFileSync(file, `${block.code}\nexport {};\n`);
        out = await run(join(BIN, 'tsx'), ['-C', '@audit-trail/source', file], { cwd: scratch, env });
      } else {
        // `npx audit-trail` must mean this checkout's CLI, never a registry download.
        out = await run('bash', ['-euo', 'pipefail', '-c', `npx() { "$@"; }\n${block.code}`], { cwd: scratch, env });
      }
      // The login-api logger of the Express block writes nothing: option requests are not ceremonies.
      expect(out.stdout).toMatch(EXPECT[i]!);
    }, 60_000);
  }
});
