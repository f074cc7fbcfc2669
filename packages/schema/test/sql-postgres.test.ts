/**
 * Generated PostgreSQL DDL and report queries against a real server. Needs
 * PostgreSQL on 127.0.0.1:5432 (override with PG_ADMIN_URL); the suite FAILS
 * when it is unreachable. It creates and drops its own database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindQuery, exampleEvents, INSERT_COLUMNS, newEventId, parseAuditEvent, REPORT_QUERIES, REPORT_QUERY_NAMES, toRow, type ReportQueryName } from '../src/index.js';
import { rowOf } from './support/report-fixtures.js';
import { defineReportTests, insertRejectSql, insertSql, type TestDb } from './support/report-suite.js';
import { eventsWithDoc, jsonBigint } from '../src/table/query-sql.js';

const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `at_schema_${randomBytes(6).toString('hex')}`;

let admin: pg.Client;
let client: pg.Client;

const testDb: TestDb = {
  dialect: 'postgres',
  async exec(sql) {
    await client.query(sql);
  },
  async insert(row) {
    await client.query(insertSql('postgres'), row);
  },
  async insertReject(r) {
    await client.query(insertRejectSql('postgres'), [r.received_at, r.source, r.reason, r.raw_payload]);
  },
  async all(sql, bound) {
    return (await client.query(sql, bound?.positional)).rows;
  },
  async columns(table) {
    const r = await client.query(
      'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [table],
    );
    return r.rows.map((x: { column_name: string }) => x.column_name);
  },
};

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is required for this suite (${ADMIN_URL}): ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin?.end();
});

describe('PostgreSQL: generated DDL and report queries', () => {
  defineReportTests(() => testDb);

  it('ignores a resent event_id and refuses a different event on a taken (chain_id, seq)', async () => {
    const open = exampleEvents.AUDIT_CHAIN_OPEN;
    const sql = `${insertSql('postgres')} ON CONFLICT (event_id) DO NOTHING`;
    expect((await client.query(sql, rowOf(open))).rowCount).toBe(1);
    const resent = await client.query(sql, rowOf(open));
    expect(resent.rowCount).toBe(0);
    const forged = parseAuditEvent({ ...open, event_id: '01a1f82f-5530-7ae0-a10e-6fdfaf2fe895' });
    expect(forged.ok).toBe(true);
    if (!forged.ok) return;
    const err = await client.query(sql, rowOf(forged.event)).then(() => undefined, (e: { code?: string; constraint?: string }) => e);
    expect(err).toMatchObject({ code: '23505', constraint: 'ux_security_audit_events_chain_seq' });
  });

  it('reads a counter spelled 1e3, 5.0 or 4.99999999999999999999 as the integer JSON.parse reads', async () => {
    // Each spelling passes the schema (JSON.parse reads an integer), and one
    // such stored event made CAST(... AS BIGINT) fail the whole report.
    const doc = (n: string) => `'{"webauthn":{"stored_sign_count":${n}}}'`;
    const spellings = ['1e3', '5.0', '50E-1', '4.99999999999999999999', '4294967295', '42'];
    // sign_count 0: a regression below each stored value (WebAuthn L3 §7.2 step 22), so only the spelling is tested.
    const regression = exampleEvents.WEBAUTHN_COUNTER_REGRESSION;
    const line = JSON.stringify({ ...regression, webauthn: { ...regression.webauthn, sign_count: 0 } });
    for (const n of spellings) expect(parseAuditEvent(line.replace(/"stored_sign_count":\d+/, `"stored_sign_count":${n}`)).ok).toBe(true);
    const values = spellings.map((n, i) => `(${i}, ${doc(n)})`).join(', ');
    const r = await client.query(
      `SELECT n, ${jsonBigint('postgres', 'webauthn.stored_sign_count')} AS v FROM (VALUES ${values}) AS t(n, event_json) ORDER BY n`,
    );
    expect(r.rows.map((x: { v: unknown }) => String(x.v))).toEqual(spellings.map((n) => String(JSON.parse(n))));
  });

  it('stores a 1023-byte credential id, a uint32 counter and a 1024-character user agent', async () => {
    const input = {
      ...exampleEvents.WEBAUTHN_AUTH_SUCCESS,
      event_id: '01a1f82f-5918-7bdb-b63d-6b7c35d8ad1d',
      user_agent: 'é'.repeat(1024),
      webauthn: { ...exampleEvents.WEBAUTHN_AUTH_SUCCESS.webauthn, credential_id: 'A'.repeat(1364), sign_count: 4_294_967_295 },
    };
    const parsed = parseAuditEvent(input);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    await client.query(insertSql('postgres'), rowOf(parsed.event));
    const r = await client.query('SELECT credential_id, sign_count, user_agent_raw FROM security_audit_events WHERE event_id = $1', [
      input.event_id,
    ]);
    expect(r.rows[0]).toEqual({ credential_id: 'A'.repeat(1364), sign_count: '4294967295', user_agent_raw: 'é'.repeat(1024) });
  });

  it('runs every report when one stored event_json holds a \\u0000 escape (jsonb refuses it; found by a probe)', async () => {
    // JSON allows the escape and event_json keeps the text as received (its MAC covers it); the
    // schema cleans the parsed copy, so the columns hold no NUL.
    // No Swarm node, so the report reads the node from event_json.
    const text = JSON.stringify({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: newEventId(), event_time: new Date().toISOString(), user_id: 'u_nul', user_agent: 'curl\u0000/8', runtime: { k8s_node: 'worker-9' } });
    expect(text).toContain('\\u0000');
    const parsed = parseAuditEvent(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await client.query(insertSql('postgres'), toRow(parsed.event, { raw: text, source_tag: 'test' }));
    for (const name of REPORT_QUERY_NAMES) {
      const bound = bindQuery(REPORT_QUERIES[name], 'postgres', { days: 365 });
      await expect(client.query(bound.text, bound.positional), name).resolves.toBeDefined();
    }
    const failures = bindQuery(REPORT_QUERIES['webauthn-failures'], 'postgres');
    expect((await client.query(failures.text, failures.positional)).rows.find((r: { user_id: string }) => r.user_id === 'u_nul')).toMatchObject({ node: 'worker-9' });
  });

  it('runs every report when stored event_json texts hold half a surrogate pair alone (rows stored before the sink refused them; jsonb refuses them), reads a whole pair as its character, and an escaped backslash as text (found by a probe and a review)', async () => {
    const now = Date.now();
    // As JSON text: a high half alone, a low half alone, both halves in the wrong order, a whole
    // pair (an emoji), an escaped backslash then "ud800" then a lone low half, an escaped backslash
    // then "udc00" (text, no escape), and \u0000.
    const agents = [String.raw`curl\ud800/8`, String.raw`curl\udc00/8`, String.raw`curl\uDC00\uD800/8`, String.raw`curl\ud83d\ude00/8`, String.raw`curl\\ud800\udc00/8`, String.raw`C:\\udc00`, String.raw`nul\u0000/8`];
    for (const [i, agent] of agents.entries()) {
      const draft = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: newEventId(), event_time: new Date(now - 60_000 + i * 1000).toISOString(), user_id: `u_half_${i}`, user_agent: 'curl/8', runtime: { k8s_node: `worker-h${i}` } };
      const parsed = parseAuditEvent(draft);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      // The text as an earlier sink stored it: the escape in event_json, the columns from the event.
      const text = JSON.stringify(draft).replace('"curl/8"', `"${agent}"`);
      expect(text).toContain(agent);
      await client.query(insertSql('postgres'), toRow(parsed.event, { raw: text, source_tag: 'test' }));
    }
    for (const name of REPORT_QUERY_NAMES) {
      const bound = bindQuery(REPORT_QUERIES[name], 'postgres', { days: 365 });
      await expect(client.query(bound.text, bound.positional), name).resolves.toBeDefined();
    }
    // Read from event_json (no Swarm node): every row keeps its node.
    const failures = bindQuery(REPORT_QUERIES['webauthn-failures'], 'postgres');
    const rows = (await client.query(failures.text, failures.positional)).rows.filter((r: { user_id: string }) => r.user_id.startsWith('u_half_'));
    expect(rows.map((r: { user_id: string; node: string }) => [r.user_id, r.node]).sort()).toEqual(agents.map((_, i) => [`u_half_${i}`, `worker-h${i}`]));
    // The document as the reports read it: what jsonb refuses removed, a pair its character, text as text.
    const docs = await client.query(`SELECT j.doc->>'user_agent' AS agent FROM ${eventsWithDoc('postgres')} WHERE e.user_id LIKE 'u_half_%' ORDER BY e.user_id`);
    expect(docs.rows.map((r: { agent: string }) => r.agent)).toEqual(['curl/8', 'curl/8', 'curl/8', 'curl\u{1f600}/8', String.raw`curl\ud800/8`, String.raw`C:\udc00`, 'nul/8']);
  });

  it('one client written in several spellings of its address is one IP in the bursts (the column holds the canonical form; event_json the signed one; found by a probe)', async () => {
    const spellings = ['2001:db8::77', '2001:DB8::77', '2001:db8:0:0:0:0:0:77', '2001:0db8::0077', '2001:db8:0::77', '2001:Db8::0:77'];
    const now = Date.now();
    for (const [i, ip] of spellings.entries()) {
      const text = JSON.stringify({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: newEventId(), event_time: new Date(now - 60_000 + i * 1000).toISOString(), user_id: `u_spelled_${i}`, client_ip: ip });
      const parsed = parseAuditEvent(text);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      await client.query(insertSql('postgres'), toRow(parsed.event, { raw: text, source_tag: 'test' }));
    }
    const stored = await client.query(`SELECT DISTINCT client_ip FROM security_audit_events WHERE user_id LIKE 'u_spelled_%'`);
    expect(stored.rows).toEqual([{ client_ip: '2001:db8::77' }]);
    const bursts = bindQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'postgres', { min_failures: 6 });
    expect((await client.query(bursts.text, bursts.positional)).rows.filter((r: { client_ip: string }) => r.client_ip === '2001:db8::77')).toMatchObject([{ peak_failures: '6', peak_users: '6' }]); // bigint counts, as pg returns them
    // A mapped IPv4 client is its IPv4 address.
    const mapped = parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, client_ip: '::ffff:198.51.100.12' });
    if (!mapped.ok) throw new Error('fixture');
    expect(rowOf(mapped.event)[INSERT_COLUMNS.findIndex((c) => c.name === 'client_ip')]).toBe('198.51.100.12');
  });

  it('orders tied groups of bursts, shells-by-image and rejects by their text as SQLite does (bytes), whatever the collation of the database: under a linguistic one (en_US, ICU) the reports listed them in another order than SQLite (found by a probe)', async () => {
    // A linguistic collation, on copies of the tables the reports read first (pg_temp comes first in the search path).
    const { rows } = await client.query(`SELECT collname FROM pg_collation WHERE collname IN ('und-x-icu', 'en-US-x-icu', 'en_US.utf8', 'en_US.UTF-8') ORDER BY collname DESC LIMIT 1`);
    const collation = (rows[0] as { collname: string } | undefined)?.collname;
    if (!collation) throw new Error('this test needs a linguistic collation (ICU or an en_US locale) on the server');
    await client.query(`CREATE TEMP TABLE security_audit_events (LIKE public.security_audit_events INCLUDING ALL)`);
    await client.query(`CREATE TEMP TABLE security_audit_rejects (LIKE public.security_audit_rejects INCLUDING ALL)`);
    try {
      for (const [table, column] of [['security_audit_events', 'client_ip'], ['security_audit_events', 'image'], ['security_audit_events', 'swarm_node'], ['security_audit_rejects', 'source']]) {
        await client.query(`ALTER TABLE pg_temp.${table} ALTER COLUMN ${column} TYPE text COLLATE "${collation}"`);
      }
      const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      // Each pair sorts one way by bytes (SQLite, "C") and the other way linguistically: "Z" < "a", "0" < ":".
      const ips = ['2001:db8::10', '2001:db8:0:1::1'];
      const images = ['alpha:1', 'Zeta:1'];
      const nodes = ['node-a', 'Node-b'];
      const sources = ['file:alpha', 'file:Zeta'];
      const now = Date.now();
      const insert = async (input: Record<string, unknown>) => {
        const parsed = parseAuditEvent({ ...input, event_id: newEventId(), event_time: new Date(now - 60_000).toISOString() });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
        await client.query(insertSql('postgres'), rowOf(parsed.event));
      };
      for (const client_ip of ips) for (let i = 0; i < 5; i++) await insert({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, client_ip });
      const exec = exampleEvents.CONTAINER_EXEC;
      for (const image of images) await insert({ ...exec, container: { ...exec.container, image }, runtime: { swarm_node: 'node-a' } });
      for (const swarm_node of nodes) await insert({ ...exec, container: { ...exec.container, image: 'same:1' }, runtime: { swarm_node } });
      for (const source of sources) await client.query(insertRejectSql('postgres'), [new Date(now).toISOString(), source, 'SCHEMA_INVALID: x', '{}']);
      const run = async (name: ReportQueryName) => {
        const q = bindQuery(REPORT_QUERIES[name], 'postgres');
        return (await client.query(q.text, q.positional)).rows as Record<string, string>[];
      };
      expect((await run('failure-bursts-by-ip')).map((r) => r.client_ip)).toEqual([...ips].sort(bytes));
      const groups = await run('container-shells');
      expect(groups.filter((r) => r.image !== 'same:1').map((r) => r.image)).toEqual([...images].sort(bytes));
      expect(groups.filter((r) => r.image === 'same:1').map((r) => r.node)).toEqual([...nodes].sort(bytes));
      expect((await run('rejects-by-reason')).map((r) => r.source)).toEqual([...sources].sort(bytes));
    } finally {
      await client.query('DROP TABLE pg_temp.security_audit_events, pg_temp.security_audit_rejects');
    }
  });

  it('counts "the last N days" as N x 24 hours whatever the session time zone (found by a probe)', async () => {
    // A zone whose UTC offset changed within the last 90 days, if one of these did: there,
    // make_interval(days => 90) spans 90 calendar days, an hour more or less than 90 x 24 hours.
    const offset = (zone: string, at: number) => new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).format(at);
    const now = Date.now();
    const zones = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'America/Santiago', 'Pacific/Auckland'];
    const zone = zones.find((z) => offset(z, now) !== offset(z, now - 90 * 86_400_000)) ?? 'UTC';
    const at = (ms: number, user: string) => {
      const parsed = parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: newEventId(), event_time: new Date(ms).toISOString(), user_id: user });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return rowOf(parsed.event);
    };
    await client.query(insertSql('postgres'), at(now - 90 * 86_400_000 - 30 * 60_000, 'u_edge_out'));
    await client.query(insertSql('postgres'), at(now - 90 * 86_400_000 + 30 * 60_000, 'u_edge_in'));
    await client.query(`SET TIME ZONE '${zone}'`);
    try {
      const q = bindQuery(REPORT_QUERIES['webauthn-failures'], 'postgres');
      const users = (await client.query(q.text, q.positional)).rows.map((r: { user_id: string }) => r.user_id);
      expect(users, zone).toContain('u_edge_in');
      expect(users, zone).not.toContain('u_edge_out');
    } finally {
      await client.query('RESET TIME ZONE');
    }
  });
});
