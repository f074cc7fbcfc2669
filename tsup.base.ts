import type { Options } from 'tsup';

/**
 * The one build recipe every package uses: ESM + CJS + declarations for each
 * entry named in the package's exports map. Dependencies stay external (tsup's
 * default), so pino's worker files and native drivers resolve at run time.
 */
export function packageBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    shims: true,
    ...extra,
  };
}
