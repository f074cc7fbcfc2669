import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig([
  packageBuild({ index: 'src/index.ts' }),
  // The bin is ESM only, with its shebang kept by tsup.
  { ...packageBuild({ bin: 'src/bin.ts' }), format: ['esm'], dts: false, clean: false },
]);
