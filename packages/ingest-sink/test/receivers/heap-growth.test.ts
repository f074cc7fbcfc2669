import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, parseHeapGrowingPercent } from '../../src/receivers/heap-growth.js';
import { mergeSettings, settingsFromEnv } from '../../src/receivers/config.js';

/**
 * A child that keeps a window of young arrays alive (so V8 promotes them,
 * as the aggregator's in-flight rows are) and counts full collections.
 */
const CHILD = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { applyHeapGrowingPercent } from ${JSON.stringify(new URL('../../src/receivers/heap-growth.ts', import.meta.url).pathname)};
applyHeapGrowingPercent(Number(process.argv[1]));
let major = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++; }).observe({ entryTypes: ['gc'] });
const window = new Array(2048);
for (let i = 0; i < 40000; i++) window[i % 2048] = new Array(2000).fill(i);
setTimeout(() => console.log(major), 50);
`;

function fullCollections(percent: number): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', CHILD, String(percent)], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Number(r.stdout.trim());
}

describe('heap growing percent (audit-trail serve)', () => {
  it('defaults to 10 and reads flags, environment and file values, refusing others with a typed error', () => {
    expect(parseHeapGrowingPercent(undefined)).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(10);
    expect(parseHeapGrowingPercent(mergeSettings(settingsFromEnv({ AUDIT_TRAIL_HEAP_GROWING_PERCENT: '25' })).heapGrowingPercent)).toBe(25);
    expect(parseHeapGrowingPercent(0)).toBe(0);
    for (const bad of ['-1', '1.5', 'ten', '10; rm -rf /', 1001, Number.NaN]) {
      expect(() => parseHeapGrowingPercent(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('makes V8 collect the old generation more often than its own heuristics do', () => {
    const own = fullCollections(0);
    const bounded = fullCollections(10);
    expect(bounded).toBeGreaterThan(2 * Math.max(own, 1));
  }, 60_000);
});
