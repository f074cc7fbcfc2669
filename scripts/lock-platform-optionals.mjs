#!/usr/bin/env node
/**
 * Restores package-lock.json entries for platform-specific optional packages
 * (rollup's @rollup/rollup-<os>-<cpu>[-<libc>] binaries) that npm leaves out
 * when the registry it resolved against does not serve them. `npm ci` refuses
 * such a lock ("Missing: @rollup/rollup-android-arm64@ from lock file") even
 * though it would skip those packages on this platform without downloading.
 * The public registry serves them all, and then npm writes these entries
 * itself; this only fills the gap. Idempotent: prints what it added.
 *
 * Usage: node scripts/lock-platform-optionals.mjs   (after `npm install`)
 */
import { readFileSync, writeFileSync } from 'node:fs';

const OS = new Set(['aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos', 'win32']);
const LIBC = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

/** os/cpu/libc of a `<scope>/<tool>-<os>-<cpu>[-<abi>]` package name, or undefined if it names no platform. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const i = parts.findIndex((p) => OS.has(p));
  if (i < 0 || !parts[i + 1]) return undefined;
  const libc = LIBC[parts[i + 2]];
  return { os: [parts[i]], cpu: [parts[i + 1]], ...(libc ? { libc: [libc] } : {}) };
}

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const added = [];
for (const entry of Object.values(lock.packages)) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    // Platform binaries are hoisted to the top level by npm.
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+$/.test(range)) continue;
    lock.packages[hoisted] = { version: range, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added.push(`${dep}@${range}`);
  }
}
if (added.length) {
  const [root, ...rest] = Object.entries(lock.packages);
  rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  lock.packages = Object.fromEntries([root, ...rest]);
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lockfile complete');
