/**
 * The README's RedisChallengeStore sketch, taken from the README as it is:
 * it must type-check against the ChallengeStore interface (tsc) and keep a
 * challenge single-use against a Redis that keeps keys in memory and runs
 * the sketch's take script as Redis would (checked by hand against
 * redis-server 7.0: `fresh`, then `used` for every later take, nil when
 * neither key exists).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChallengeRecord, ChallengeStore } from '../src/index.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..', '..');
const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const BLOCK = /```ts\n(import type \{ ChallengeRecord, ChallengeStore, ChallengeTake \}[\s\S]*?)```/.exec(README)?.[1];
// Inside the package, so '@audit-trail/webauthn-hooks' resolves (to src/, through the source condition).
const scratch = mkdtempSync(join(import.meta.dirname, '.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
if (BLOCK !== undefined) writeFileSync(join(scratch, 'redis-store.ts'), BLOCK);

/**
 * Keys in memory (TTLs are not modelled: no test here outlives one), with
 * the commands a sketch may call. `eval` runs the one script the sketch
 * sends, step for step as its Lua does, and refuses any other, so a change
 * of the script fails here until this follows it.
 */
class MemoryRedis {
  readonly keys = new Map<string, string>();
  readonly calls: string[] = [];
  async set(key: string, value: string, mode: 'PX', ttl: number): Promise<'OK'> {
    expect([mode, Number.isInteger(ttl) && ttl > 0]).toEqual(['PX', true]);
    this.keys.set(key, value);
    return 'OK';
  }
  async get(key: string): Promise<string | null> {
    return this.keys.get(key) ?? null;
  }
  async getdel(key: string): Promise<string | null> {
    const value = this.keys.get(key) ?? null;
    this.keys.delete(key);
    return value;
  }
  async eval(script: string, numKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown> {
    expect(script.replace(/\s+/g, ' ').trim()).toBe(
      "local raw = redis.call('GETDEL', KEYS[1]) if raw then redis.call('SET', KEYS[2], raw, 'PX', ARGV[1]) return {'fresh', raw} end local used = redis.call('GET', KEYS[2]) if used then return {'used', used} end return false",
    );
    expect(numKeys).toBe(2);
    const [challengeKey, usedKey, retainMs] = keysAndArgs as [string, string, number];
    this.calls.push(challengeKey, usedKey);
    const raw = this.keys.get(challengeKey);
    if (raw !== undefined) {
      this.keys.delete(challengeKey);
      await this.set(usedKey, raw, 'PX', retainMs);
      return ['fresh', raw];
    }
    const used = this.keys.get(usedKey);
    return used === undefined ? null : ['used', used];
  }
}

describe('README: the RedisChallengeStore sketch', () => {
  it('is in the README and type-checks against the ChallengeStore interface', async () => {
    expect(BLOCK).toBeDefined();
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ extends: join(REPO, 'tsconfig.base.json'), compilerOptions: { noEmit: true }, include: ['*.ts'] }));
    await expect(run(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', join(scratch, 'tsconfig.json')], { cwd: scratch })).resolves.toBeDefined();
  }, 60_000);

  it('reports every replay as a replay, not only the first (found by a probe), and an unknown or expired challenge as such', async () => {
    const { RedisChallengeStore } = (await import(join(scratch, 'redis-store.ts'))) as {
      RedisChallengeStore: new (redis: MemoryRedis, retainMs?: number) => ChallengeStore;
    };
    const redis = new MemoryRedis();
    const store = new RedisChallengeStore(redis);
    const record: ChallengeRecord = { challenge: 'c1', ceremony: 'authentication', userId: 'u1', issuedAt: 0, expiresAt: 1000 };
    await store.save(record);
    expect(await store.take('c1', 10)).toEqual({ status: 'ok', record });
    for (let i = 0; i < 3; i++) expect(await store.take('c1', 20)).toEqual({ status: 'replayed', record });
    expect(await store.take('never-issued', 20)).toEqual({ status: 'unknown' });
    await store.save({ ...record, challenge: 'c2' });
    expect(await store.take('c2', 1001)).toMatchObject({ status: 'expired', record: { challenge: 'c2' } });
    expect(await store.take('c2', 1002)).toMatchObject({ status: 'replayed' });
    // Each take's two keys share a hash tag: one Redis Cluster slot, as a script needs.
    for (const key of redis.calls) expect(key).toMatch(/^wa:\{[^}]+\}:(c|used)$/);
  });
});
