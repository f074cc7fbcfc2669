// The environment the aggregator image sets (the Dockerfile's ENV lines), so
// bench/receiver.ts measures the settings the image ships rather than a copy
// of them that could drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Variables set by `ENV key=value ...` lines of a Dockerfile, in order (later
 * lines win). Values may be double-quoted; the legacy `ENV key value` form and
 * line continuations are not used by our Dockerfile and are refused rather
 * than misread.
 */
export function dockerfileEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const body = m[1]!;
    if (body.endsWith('\\')) throw new Error(`Dockerfile ENV with a line continuation is not supported: ${line}`);
    const pair = /\s*([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/y;
    let at = 0;
    while (at < body.length) {
      pair.lastIndex = at;
      const p = pair.exec(body);
      if (!p) throw new Error(`Dockerfile ENV not in key=value form: ${line}`);
      const raw = p[2]!;
      env[p[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      at = pair.lastIndex;
      while (body[at] === ' ' || body[at] === '\t') at++;
    }
  }
  return env;
}

/** The environment the repository's Dockerfile sets for `audit-trail serve`. */
export function imageSettings(repoRoot: string): Record<string, string> {
  return dockerfileEnv(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
}
