import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig([
  // clean: false on both: tsup builds the two configs in parallel, and a
  // clean by one must never delete the other's output.
  packageBuild({ index: 'src/index.ts', transport: 'src/transport.ts' }, { clean: false }),
  // The SQLite worker-thread entry is plain JavaScript (worker threads cannot
  // load TypeScript sources in development); it must land next to index.js.
  // ESM only: index.cjs starts the same ESM worker file.
  packageBuild({ 'sqlite-worker': 'src/sqlite-worker.js' }, { format: ['esm'], dts: false, clean: false, sourcemap: false }),
]);
