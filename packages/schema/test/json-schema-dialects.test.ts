// Every `pattern` of the published JSON Schemas, run by the regex engines
// analysts' validators use: Go's regexp (RE2 syntax: gojsonschema, Benthos),
// Python's re (the jsonschema package: re.search) and java.util.regex (Java
// validators), against ECMA-262 (Ajv; JSON Schema Core 2020-12 §6.4), which
// reads each pattern as zod reads its regex. Each engine must compile every
// pattern, and accept exactly the samples ECMA-262 accepts once the `not`
// published beside a pattern ending in `$` (a line terminator) is applied.
// Real toolchains, as CI installs them (golang-go; python3 and a JDK are on
// the machine): a missing one fails the test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endsInDollar, LINE_TERMINATOR } from '../scripts/json-schemas.js';
import { exampleEvents } from '../src/index.js';

const SCHEMA_DIR = join(import.meta.dirname, '..', 'json-schema');
const DIALECTS = join(import.meta.dirname, 'dialects');
const work = mkdtempSync(join(tmpdir(), 'at-dialects-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every distinct `pattern` of the published files. */
function publishedPatterns(): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'pattern' && typeof x === 'string') found.add(x);
        else walk(x);
      }
    }
  };
  for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json'))) walk(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')));
  return [...found];
}

/** The examples' string values, each also with a line terminator after or before it, and the edge cases of the patterns. */
function samples(): string[] {
  const values = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') values.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(exampleEvents);
  const edges = ['', 'alice', 'a\u{1F600}', 'tab\there', 'a\u0000b', 'esc\u001b[2J', 'del\u007f', '1.2.0', '1.\u0663.0', '\u0661\u0662', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z',
    '2024-02-29T00:00:00.123Z', '2023-02-29T00:00:00Z', '192.0.2.1', '999.1.1.1', '::ffff:1.2.3.4', 'fe80::1%eth0', `sha256:${'a'.repeat(64)}`, 'ABC_1', 'abc', 'AbC-_9'];
  for (const e of edges) values.add(e);
  const out = new Set<string>();
  for (const v of values) for (const s of [v, `${v}\n`, `${v}\r\n`, `${v}\r`, `${v}\u0085`, `${v}\u2028`, `${v}\u2029`, `\n${v}`]) out.add(s);
  return [...out];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What `command` prints for the patterns and samples: per pattern, a '1'/'0' per sample (search semantics). */
function run(engine: string, command: string, args: string[], patterns: string[], input: string[], env: NodeJS.ProcessEnv = {}): boolean[][] {
  const r = spawnSync(command, args, { input: [...patterns.map((p) => `P ${b64(p)}`), ...input.map((s) => `S ${b64(s)}`)].join('\n') + '\n', encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${engine}: ${command} could not run: ${r.error.message}`);
  expect([engine, r.status, r.stderr]).toEqual([engine, 0, expect.any(String)]);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(patterns.length);
  lines.forEach((line, i) => expect([engine, patterns[i], line.startsWith('ERROR') ? line : 'compiles']).toEqual([engine, patterns[i], 'compiles']));
  return lines.map((line) => [...line].map((c) => c === '1'));
}

describe('published JSON Schema patterns in other regex dialects', () => {
  const patterns = [...publishedPatterns(), LINE_TERMINATOR];
  const input = samples();
  const terminator = patterns.length - 1;
  // ECMA-262 with the u flag, as Ajv compiles patterns.
  const ecma = patterns.map((p) => input.map((s) => new RegExp(p, 'u').test(s)));

  it('holds patterns that need the not beside them, and samples on both sides of each', () => {
    expect(patterns.length).toBeGreaterThan(10);
    expect(patterns.filter(endsInDollar).length).toBeGreaterThan(10);
    // Every pattern accepts some sample and refuses some other: the comparison below has teeth.
    ecma.forEach((row, i) => expect([patterns[i], row.includes(true), row.includes(false)]).toEqual([patterns[i], true, true]));
  });

  it('the not changes nothing for ECMA-262 (Ajv) and zod: no string a pattern ending in $ accepts holds a line terminator', () => {
    patterns.forEach((p, i) => {
      if (!endsInDollar(p)) return;
      input.forEach((s, j) => {
        if (ecma[i]![j]) expect([p, s, ecma[terminator]![j]]).toEqual([p, s, false]);
      });
    });
  });

  const engines: [string, () => boolean[][]][] = [
    ['Go regexp (RE2)', () => run('go', 'go', ['run', join(DIALECTS, 'match.go')], patterns, input, { GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(work, 'gocache') })],
    ['Python re', () => run('python', 'python3', [join(DIALECTS, 'match.py')], patterns, input)],
    ['java.util.regex', () => run('java', 'java', [join(DIALECTS, 'Match.java')], patterns, input)],
  ];
  it.each(engines)('%s compiles every pattern and, with the not, accepts exactly what ECMA-262 accepts', (_name, matrix) => {
    const found = matrix();
    const differ: [string, string, boolean][] = [];
    patterns.forEach((p, i) => {
      if (i === terminator) return;
      input.forEach((s, j) => {
        const valid = found[i]![j]! && !(endsInDollar(p) && found[terminator]![j]!);
        if (valid !== ecma[i]![j]) differ.push([p, s, valid]);
      });
    });
    expect(differ.slice(0, 10)).toEqual([]);
  }, 120_000);
});
