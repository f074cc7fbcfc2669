import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codes, lines, tmpDir, verifyLines } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const KEYS = { k1: { secret: Buffer.alloc(32, 1) } };

function run(name: string, file: string) {
  return spawn(process.execPath, ['--conditions=@audit-trail/source', '--import', 'tsx', fixture(name), file], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('in a real process', () => {
  it('the checkpoint and epoch timers do not keep the process alive', async () => {
    const file = join(tmpDir(), 'idle.ndjson');
    const child = run('idle-signed.ts', file);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(lines(file).map((l) => JSON.parse(l).event_type)).toEqual(['AUDIT_CHAIN_OPEN', 'CONTAINER_START']);
  });

  it('the SIGTERM pattern writes AUDIT_CHAIN_CLOSE and the chain verifies closed', async () => {
    const file = join(tmpDir(), 'term.ndjson');
    const child = run('sigterm.ts', file);
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    while (!out.includes('ready')) await once(child.stdout!, 'data');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const ls = lines(file);
    expect(ls.map((l) => JSON.parse(l).event_type)).toEqual(['AUDIT_CHAIN_OPEN', 'CONTAINER_START', 'AUDIT_CHAIN_CLOSE']);
    const r = verifyLines(ls, KEYS);
    expect(codes(r)).toEqual([]);
    expect(r.chains[0]!.closed).toBe(true);
  });
});
