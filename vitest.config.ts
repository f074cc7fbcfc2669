import { defineConfig } from 'vitest/config';

// Tests run against TypeScript sources: every package's exports map has an
// "@audit-trail/source" condition pointing at src/, selected here.
const conditions = ['@audit-trail/source', 'node', 'import', 'module', 'default'];
// Vitest also passes ssr.resolve.conditions to the worker as Node `--conditions`
// flags; 'import'/'module' there make CommonJS `require()` of dual packages
// (pg -> pg-pool) load their ESM build and break. Vite adds import/require
// itself per importer, so SSR only needs the custom condition and 'node'.
const ssrConditions = ['@audit-trail/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ssrConditions, externalConditions: ['@audit-trail/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
