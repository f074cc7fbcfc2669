/**
 * The committed generated files (JSON Schema, types, sql/) are exactly what
 * the generator produces, the generator is deterministic, and the JSON
 * Schemas work for a consumer that does not use zod (validated with Ajv).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGeneratedFiles } from '../scripts/generated-files.js';
import { collectRefs, endsInDollar, LINE_TERMINATOR, portablePattern, schemaFileName, UNION_FILE, zodToJsonSchema } from '../scripts/json-schemas.js';
import { auditEventSchema, eventSchemas, EVENT_TYPES, exampleEvents, SCHEMA_BASE_URI, SCHEMA_VERSION } from '../src/index.js';
import { REPO_ROOT } from './support/report-suite.js';

let files: Map<string, string>;
const schemaOf = (name: string) => JSON.parse(files.get(`packages/schema/json-schema/${name}`)!) as Record<string, any>;

beforeAll(async () => {
  files = await buildGeneratedFiles();
});

describe('generated files', () => {
  it('are committed exactly as the generator writes them (run `npm run generate` if this fails)', async () => {
    const drift: string[] = [];
    for (const [path, text] of files) {
      const committed = await readFile(join(REPO_ROOT, path), 'utf8').catch(() => '<missing>');
      if (committed !== text) drift.push(path);
    }
    expect(drift).toEqual([]);
  });

  it('come out byte-identical on a second run', async () => {
    const again = await buildGeneratedFiles();
    expect([...again.entries()]).toEqual([...files.entries()]);
    for (const text of files.values()) expect(text.endsWith('\n')).toBe(true);
  });

  it('has one JSON Schema per event type plus the union, draft 2020-12, versioned $id, local refs only', () => {
    for (const name of [...EVENT_TYPES.map(schemaFileName), UNION_FILE]) {
      const doc = schemaOf(name);
      expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(doc.$id).toBe(`${SCHEMA_BASE_URI}/${name}`);
      expect(doc.$id).toContain(`/v${SCHEMA_VERSION}/`);
      for (const ref of collectRefs(doc)) expect(ref).toMatch(/^#\/\$defs\//);
    }
    expect(schemaOf('webauthn-auth-failure.json')).toMatchObject({ title: 'WebauthnAuthFailure', type: 'object', additionalProperties: false });
    expect(schemaOf(UNION_FILE).oneOf).toHaveLength(EVENT_TYPES.length);
  });

  it('describes the same JSON for producers (input) and for stored events (output)', () => {
    // If this fails, a transform or default was added: decide which side the published schema describes.
    expect(zodToJsonSchema(auditEventSchema, 'input')).toEqual(zodToJsonSchema(auditEventSchema, 'output'));
  });

  it('keeps maxLength on identifiers and states in the description that zod counts UTF-16 code units', () => {
    // JSON Schema maxLength counts code points (Validation 2020-12 §6.3.1); the
    // column, and zod, count UTF-16 units: the description must say so.
    const { user_id: userId, producer } = schemaOf('webauthn-auth-failure.json').properties;
    expect(userId.maxLength).toBe(256);
    expect(userId.description).toMatch(/^Stable user id: .*At most 256 UTF-16 code units: a character beyond U\+FFFF counts as two/);
    expect(producer.properties.version).toMatchObject({ maxLength: 64, description: expect.stringMatching(/^At most 64 UTF-16 code units/) });
  });

  it('has no maxLength on free text zod cuts, and says it is cut (the input schema accepts what zod accepts)', () => {
    const auth = schemaOf('webauthn-auth-failure.json').properties;
    const exec = schemaOf('container-exec.json').properties;
    const violation = schemaOf('audit-schema-violation.json').properties.violation.properties;
    const cut = {
      user_agent: [auth.user_agent, 1024],
      'error.message': [auth.error.properties.message, 512],
      'webauthn.origin': [auth.webauthn.properties.origin, 512],
      'process.command_line': [exec.process.properties.command_line, 4000],
      'violation.original': [violation.original, 16_384],
      'violation.attempted_event_type': [violation.attempted_event_type, 64],
    } as const;
    for (const [path, [field, max]] of Object.entries(cut)) {
      expect([path, field.maxLength]).toEqual([path, undefined]);
      expect([path, field.description]).toEqual([path, expect.stringContaining(`longer text is accepted and cut to ${max} UTF-16 code units`)]);
    }
  });

  it('carries the identifier rule as a pattern (zod refinements do not survive conversion)', () => {
    const userId = schemaOf('webauthn-auth-failure.json').properties.user_id;
    expect(userId.pattern).toBeDefined();
    expect(new RegExp(userId.pattern, 'u').test('u_1')).toBe(true);
    expect(new RegExp(userId.pattern, 'u').test('u_1\n')).toBe(false);
  });

  it('writes patterns that every common regex dialect reads alike: no `\\d`, no `\\u` escape, no lookaround, and a final `$` with a `not` of line terminators beside it', () => {
    // Python's jsonschema (re.search), Java and .NET let `$` match before a
    // final line feed (Java before any line terminator), Python and .NET `\d`
    // any Unicode digit; RE2 (Go) and Rust's regex have no lookaround and no
    // `\u`: test/json-schema-dialects.test.ts runs the patterns there.
    const nodes: Record<string, unknown>[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        if (typeof (v as { pattern?: unknown }).pattern === 'string') nodes.push(v as Record<string, unknown>);
        Object.values(v).forEach(walk);
      }
    };
    for (const [name, text] of files) if (name.includes('/json-schema/')) walk(JSON.parse(text));
    expect(nodes.length).toBeGreaterThan(100);
    for (const node of nodes) {
      const p = node.pattern as string;
      expect(p).not.toMatch(/(?<!\\)(?:\\\\)*\\[du]/);
      expect(p).not.toMatch(/\(\?[=!<]/);
      if (endsInDollar(p)) expect(node.not).toEqual({ type: 'string', pattern: LINE_TERMINATOR });
      else if (p !== LINE_TERMINATOR) expect(node.not).toBeUndefined();
    }
    // The same strings as zod's own regexes, as ECMA-262 (Ajv) reads them.
    expect(portablePattern('^1\\.\\d+\\.\\d+$')).toBe('^1\\.[0-9]+\\.[0-9]+$');
    expect(portablePattern('^[\\d_]\\$x$')).toBe('^[0-9_]\\$x$');
    expect(portablePattern('^[^\\u0000-\\u001f\\u2028]*$')).toBe('^[^\u0000-\u001f\u2028]*$');
    expect(() => portablePattern('^(?!0000)')).toThrow(/lookaround/);
    expect(() => portablePattern('^[\\u005d]$')).toThrow(/cannot be written as itself/);
    // The published files spell control characters as JSON escapes, never raw (a line feed is layout).
    for (const [name, text] of files) if (name.includes('/json-schema/')) expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it('compiles to TypeScript types, one interface per event type, no index signatures', () => {
    const ts = files.get('packages/schema/src/generated/audit-event.ts')!;
    expect(ts).toContain('export type AuditEvent =');
    for (const type of EVENT_TYPES) expect(ts).toContain(`event_type: '${type}';`);
    expect(ts).not.toMatch(/\[k: string\]/);
  });
});

describe('JSON Schema without zod (Ajv, draft 2020-12)', () => {
  let ajv: Ajv2020;
  beforeAll(() => {
    ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    for (const name of [...EVENT_TYPES.map(schemaFileName), UNION_FILE]) ajv.addSchema(schemaOf(name));
  });

  it.each(EVENT_TYPES.map((t) => [t]))('accepts the example %s by its type schema and by the union', (type) => {
    const validate = ajv.getSchema(`${SCHEMA_BASE_URI}/${schemaFileName(type)}`)!;
    expect(validate(exampleEvents[type]), JSON.stringify(validate.errors)).toBe(true);
    expect(ajv.validate(`${SCHEMA_BASE_URI}/${UNION_FILE}`, exampleEvents[type])).toBe(true);
  });

  it('accepts and refuses IP addresses as zod does, the dotted IPv4 tail of an IPv6 address included', () => {
    const union = `${SCHEMA_BASE_URI}/${UNION_FILE}`;
    const e = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const ips = ['::ffff:1.2.3.4', '64:ff9b::192.0.2.33', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', '2001:db8::6', '192.0.2.1',
      '1:2:3:4:5:6:7:1.2.3.4', '::ffff:001.002.003.004', '::ffff:1.2.3', 'fe80::1%eth0', '1.2.3.04', '[::1]'];
    for (const ip of ips) {
      for (const key of ['client_ip', 'peer_ip'] as const) {
        const input = { ...e, [key]: ip };
        const zod = eventSchemas.WEBAUTHN_AUTH_FAILURE.safeParse(input).success;
        expect([key, ip, ajv.validate(union, input)]).toEqual([key, ip, zod]);
      }
    }
    expect(ajv.validate(union, { ...e, client_ip: '::ffff:1.2.3.4' })).toBe(true);
  });

  it('accepts over-long free text, which zod accepts and cuts', () => {
    const union = `${SCHEMA_BASE_URI}/${UNION_FILE}`;
    const e = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const x = exampleEvents.CONTAINER_EXEC;
    const long = [
      { ...e, user_agent: 'u'.repeat(5000) },
      { ...e, error: { ...e.error, message: 'm'.repeat(600) } },
      { ...x, process: { ...x.process, command_line: 'c'.repeat(4001) } },
    ];
    for (const input of long) {
      expect(ajv.validate(union, input), JSON.stringify(ajv.errors)).toBe(true);
      expect(auditEventSchema.safeParse(input).success).toBe(true);
    }
  });

  it('rejects what zod rejects: unknown keys, bad IPs, control characters, wrong literals', () => {
    const union = `${SCHEMA_BASE_URI}/${UNION_FILE}`;
    const e = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const bad = [
      { ...e, extra: 1 },
      { ...e, client_ip: '999.1.1.1' },
      { ...e, user_id: 'u\u001b[2J' },
      { ...e, outcome: 'success' },
      { ...e, event_type: 'WEBAUTHN_MAGIC' },
      { ...e, webauthn: { ...e.webauthn, sign_count: 2 ** 32 } },
    ];
    for (const input of bad) {
      expect(ajv.validate(union, input)).toBe(false);
      expect(eventSchemas.WEBAUTHN_AUTH_FAILURE.safeParse(input).success).toBe(false);
    }
  });

  /** Each input validated by Ajv with the union and by zod, as [input, Ajv, zod]. */
  const both = (inputs: unknown[]) => inputs.map((i) => [JSON.stringify(i).slice(-100), ajv.validate(`${SCHEMA_BASE_URI}/${UNION_FILE}`, i), auditEventSchema.safeParse(i).success]);
  const agree = (inputs: unknown[]) => both(inputs).map(([i, a]) => [i, a, a]);

  it('decides on credential_id lengths as zod does: never 4k+1 characters', () => {
    const a = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const inputs = ['A', 'AA', 'AAA', 'AAAA', 'AAAAA', 'AAAAAA', 'A'.repeat(1361), 'A'.repeat(1364), 'AAAA\n', 'AAAAA\n', 'é'].map((id) => ({ ...a, webauthn: { ...a.webauthn, credential_id: id } }));
    expect(both(inputs)).toEqual(agree(inputs));
    expect(both(inputs).filter(([, , zod]) => zod)).toHaveLength(5);
  });

  it("decides on integrity.prev as zod does: '' exactly at seq 1, 43 characters after it", () => {
    const o = exampleEvents.AUDIT_CHAIN_OPEN;
    const c = exampleEvents.AUDIT_CHECKPOINT;
    const inputs = ['', c.integrity.mac, c.integrity.mac.slice(1), `${c.integrity.mac}A`, `${c.integrity.mac}\n`].flatMap((prev) => [
      { ...o, integrity: { ...o.integrity, prev } },
      { ...c, integrity: { ...c.integrity, prev } },
    ]);
    expect(both(inputs)).toEqual(agree(inputs));
    expect(both(inputs).filter(([, , zod]) => zod)).toHaveLength(2);
  });

  it('decides on lifecycle actions as zod does: a start action in a CONTAINER_START, a stop action in a CONTAINER_STOP', () => {
    const start = exampleEvents.CONTAINER_START;
    const stop = exampleEvents.CONTAINER_STOP;
    const inputs = ['create', 'start', 'restart', 'die', 'stop', 'kill', 'destroy', 'oom', 'pause'].flatMap((action) => [
      { ...start, lifecycle: { action } },
      { ...stop, lifecycle: { ...stop.lifecycle, action } },
    ]);
    expect(both(inputs)).toEqual(agree(inputs));
    expect(both(inputs).filter(([, , zod]) => zod)).toHaveLength(8);
  });

  it('decides on exit_code and signal as zod does: a CONTAINER_STOP may carry them, a CONTAINER_START never (it has not exited)', () => {
    const start = exampleEvents.CONTAINER_START;
    const stop = exampleEvents.CONTAINER_STOP;
    const ended = [{ exit_code: 0 }, { exit_code: 137 }, { signal: '9' }, { exit_code: null }, { signal: '' }, {}];
    const inputs = ended.flatMap((end) => [
      { ...start, lifecycle: { ...start.lifecycle, ...end } },
      { ...stop, lifecycle: { ...stop.lifecycle, ...end } },
    ]);
    expect(both(inputs)).toEqual(agree(inputs));
    // The stop with exit code 0, 137 or signal 9, and both without either.
    expect(both(inputs).filter(([, , zod]) => zod)).toHaveLength(5);
  });

  it('decides on counter_status beside one counter as zod does; beside both, accepts what only zod refuses (JSON Schema cannot compare two members; README)', () => {
    const f = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const { sign_count: _s, stored_sign_count: _t, ...bare } = f.webauthn;
    const values = [0, 1, 57, 2 ** 32 - 2, 2 ** 32 - 1];
    const statuses = ['increased', 'not_increased', 'zero_unsupported'];
    const one = statuses.flatMap((counter_status) =>
      values.flatMap((n) => [
        { ...f, webauthn: { ...bare, counter_status, sign_count: n } },
        { ...f, webauthn: { ...bare, counter_status, stored_sign_count: n } },
      ]),
    );
    expect(both(one)).toEqual(agree(one));
    // Each status rules out some lone counters: zero_unsupported all but 0, increased sign_count 0 and the stored top, not_increased stored 0.
    expect(both(one).filter(([, , zod]) => !zod)).toHaveLength(4 + 4 + 2 + 1);
    const two = statuses.flatMap((counter_status) => values.flatMap((s) => values.map((r) => ({ ...f, webauthn: { ...bare, counter_status, sign_count: r, stored_sign_count: s } }))));
    const results = both(two);
    // JSON Schema never refuses what zod accepts; what it lets through is the comparison alone.
    expect(results.filter(([, ajvOk, zodOk]) => zodOk && !ajvOk)).toEqual([]);
    expect(results.filter(([, ajvOk, zodOk]) => ajvOk && !zodOk).map(([i]) => i)).toEqual([
      expect.stringContaining('"counter_status":"increased","sign_count":1,"stored_sign_count":1}'),
      expect.stringContaining('"counter_status":"increased","sign_count":1,"stored_sign_count":57}'),
      expect.stringContaining('"counter_status":"increased","sign_count":57,"stored_sign_count":57}'),
      expect.stringContaining('"counter_status":"increased","sign_count":1,"stored_sign_count":4294967294}'),
      expect.stringContaining('"counter_status":"increased","sign_count":57,"stored_sign_count":4294967294}'),
      expect.stringContaining('"counter_status":"increased","sign_count":4294967294,"stored_sign_count":4294967294}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":57,"stored_sign_count":1}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":4294967294,"stored_sign_count":1}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":4294967295,"stored_sign_count":1}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":4294967294,"stored_sign_count":57}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":4294967295,"stored_sign_count":57}'),
      expect.stringContaining('"counter_status":"not_increased","sign_count":4294967295,"stored_sign_count":4294967294}'),
    ]);
  });

  it('refuses a counter regression with stored_sign_count 0 as zod does: not_increased bounds that counter alone (both 0 is no counter, a count above 0 an increase), as beside any other event\'s counter_status', () => {
    const r = exampleEvents.WEBAUTHN_COUNTER_REGRESSION;
    const inputs = [0, 1].flatMap((stored) => [0, 1].map((sign) => ({ ...r, webauthn: { ...r.webauthn, sign_count: sign, stored_sign_count: stored } })));
    // Published, zod's answer on every pair: only stored_sign_count 1 with sign_count 0 or 1 is a regression.
    expect(both(inputs)).toEqual(agree(inputs));
    expect(both(inputs).filter(([, , zod]) => zod)).toHaveLength(2);
  });

  it("accepts a counter regression whose counter increased, which only zod refuses (JSON Schema cannot compare two members; README)", () => {
    const r = exampleEvents.WEBAUTHN_COUNTER_REGRESSION;
    const increased = { ...r, webauthn: { ...r.webauthn, sign_count: r.webauthn.stored_sign_count + 1 } };
    expect(both([r, increased]).map(([, a, z]) => [a, z])).toEqual([[true, true], [true, false]]);
  });
});
