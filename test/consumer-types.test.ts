/**
 * The published types as a TypeScript service compiles against them: the
 * built packages' .d.ts (no source condition), under the strictest setting
 * for optional properties a user may have (`exactOptionalPropertyTypes`).
 * consumer-types/consumer.ts holds the usage; its @ts-expect-error lines
 * fail the compile when the error they expect is gone.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..');

describe('published types', () => {
  it('compile a consumer under exactOptionalPropertyTypes', async () => {
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    const result = await run(tsc, ['-p', join(REPO, 'test', 'consumer-types')], { cwd: REPO }).then(
      () => ({ code: 0, out: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, out: err.stdout ?? '' }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});
