import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindQuery, createTableStatements, REPORT_QUERIES, REPORT_QUERY_NAMES } from '@audit-trail/schema';
import { createSink, type Sink } from '../src/index.js';
import { chainEvent, makeEvent, makeEvents } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { checkEventIdConflicts } from './helpers/id-conflicts.js';
import { tempDir } from './helpers/tmp.js';

let db: Awaited<ReturnType<typeof createTempDatabase>>;
let dir: string;
let cleanup: () => Promise<void>;
const sinks: Sink[] = [];

beforeEach(async () => {
  db = await createTempDatabase();
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await db.drop();
  await cleanup();
});

let load: 'copy' | 'unnest' = 'copy';
function open(): Sink {
  const sink = createSink({ connection: { dialect: 'postgres', connectionString: db.url, load }, migrate: true, spool: { dir } });
  sinks.push(sink);
  return sink;
}

const count = async (table = 'security_audit_events') => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe.each(['copy', 'unnest'] as const)('PostgreSQL sink (load: %s)', (mode) => {
  beforeEach(() => {
    load = mode;
  });

  it('stores hostile text byte for byte (backslashes, quotes, tabs, newlines, \\N, SQL)', async () => {
    const sink = open();
    const e = makeEvent({ user_agent: 'a\\b "q" \'s\' \\N ; DROP TABLE x; --', user_id: 'tab\\tuser' });
    const line = JSON.stringify(e);
    await sink.write({ line, meta: { container_name: '/web\tone\nline\\N', source_tag: 'swarm.audit.n\r1' } });
    await sink.flush();
    const { rows } = await db.query('SELECT user_agent_raw, user_id, container_name, source_tag, event_json FROM security_audit_events');
    expect(rows).toEqual([{ user_agent_raw: e.user_agent, user_id: e.user_id, container_name: '/web\tone\nline\\N', source_tag: 'swarm.audit.n\r1', event_json: line }]);
  });

  it('commits batches; a resend adds no rows; migrate() is idempotent', async () => {
    const sink = open();
    await sink.migrate();
    const events = makeEvents(2500);
    expect(await sink.write(events)).toEqual({ accepted: 2500, rejected: 0 });
    await sink.flush();
    expect(await count()).toBe(2500);
    await sink.write(events.slice(0, 1200));
    await sink.flush();
    expect(await count()).toBe(2500);
    expect(sink.stats()).toMatchObject({ committed: 2500, duplicates: 1200, rejected: 0, spooledEvents: 0 });
    const { rows } = await db.query('SELECT event_type, event_timestamp, severity, sign_count, service, event_json FROM security_audit_events WHERE event_id = $1', [events[42]!.event_id]);
    expect(rows[0]).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', severity: 3, sign_count: '7', service: 'sink-test' });
    expect(new Date(rows[0].event_timestamp).toISOString()).toBe(events[42]!.event_time);
    expect(JSON.parse(rows[0].event_json)).toEqual(events[42]);
  });

  it('puts poison records into rejects (NUL, bad JSON, schema violations) while batch-mates commit', async () => {
    const sink = open();
    const good = makeEvents(4);
    const items = [good[0]!, 'nul\u0000inside', good[1]!, '{"event_type":"NOPE"}', good[2]!, { line: '[1,2]', source: 'syslog:app' }, good[3]!];
    expect(await sink.write(items)).toEqual({ accepted: 4, rejected: 3 });
    await sink.flush();
    expect(await count()).toBe(4);
    const { rows } = await db.query('SELECT source, reason, raw_payload FROM security_audit_rejects ORDER BY id');
    expect(rows.map((r) => r.raw_payload)).toEqual(['nul\ufffdinside', '{"event_type":"NOPE"}', '[1,2]']);
    expect(rows[1].reason).toMatch(/unknown event_type/);
    expect(rows[2]).toMatchObject({ source: 'syslog:app' });
  });

  it('rejects a different event_id on a stored (chain_id, seq) with its reason, never failing the batch', async () => {
    const sink = open();
    const chain = makeEvent().event_id as string;
    const one = chainEvent(chain, 1);
    await sink.write(one);
    await sink.flush();
    const forged = chainEvent(chain, 1);
    const next = chainEvent(chain, 2);
    const plain = makeEvent();
    await sink.write([forged, next, plain, one]);
    await sink.flush();
    const ids = (await db.query('SELECT event_id::text AS id FROM security_audit_events ORDER BY id')).rows.map((r) => r.id);
    expect(ids).toEqual([one.event_id, next.event_id, plain.event_id]);
    const { rows } = await db.query('SELECT reason, raw_payload FROM security_audit_rejects');
    expect(rows).toHaveLength(1);
    expect(rows[0].reason).toContain(`chain_id=${chain} seq=1 is already held by event_id=${one.event_id}`);
    expect(JSON.parse(rows[0].raw_payload).event_id).toBe(forged.event_id);
    expect(sink.stats()).toMatchObject({ committed: 3, duplicates: 1, rejected: 1, chainConflicts: 1 });
  });

  it('an event_id stored with other content: the newcomer is an EVENT_ID_CONFLICT reject; the same event written out again is a duplicate', async () => {
    const sink = open();
    await checkEventIdConflicts(sink, async () => ({
      ids: (await db.query('SELECT event_id::text AS id FROM security_audit_events')).rows.map((r) => r.id),
      rejects: (await db.query('SELECT source, reason, raw_payload FROM security_audit_rejects ORDER BY id')).rows,
    }));
  });

  it('isolates a row PostgreSQL refuses although it passed validation (a CHECK an operator added): it becomes a reject, its batch-mates commit', async () => {
    // The sink's own DDL plus a CHECK on user_agent_raw; migrate() keeps an existing table.
    for (const sql of createTableStatements('postgres')) await db.query(sql);
    await db.query("ALTER TABLE security_audit_events ADD CONSTRAINT operator_check CHECK (user_agent_raw NOT LIKE '%refuse-me%')");
    const sink = createSink({ connection: { dialect: 'postgres', connectionString: db.url, load }, migrate: true, spool: { dir }, retry: { initialDelayMs: 5, maxDelayMs: 20 } });
    sinks.push(sink);
    const good = makeEvents(5);
    const refused = makeEvent({ user_agent: 'refuse-me/1.0' });
    expect(await sink.write([good[0]!, good[1]!, refused, good[2]!, good[3]!, good[4]!])).toEqual({ accepted: 6, rejected: 0 });
    await sink.flush();
    expect(await count()).toBe(5);
    const { rows } = await db.query('SELECT reason, raw_payload FROM security_audit_rejects');
    expect(rows).toHaveLength(1);
    expect(rows[0].reason).toMatch(/^DB_REFUSED: postgres: .*operator_check/);
    expect(JSON.parse(rows[0].raw_payload).event_id).toBe(refused.event_id);
    expect(sink.stats()).toMatchObject({ committed: 5, rejected: 1 });
  });

  // Every value the schema accepts fits its column: an integrity block with
  // an epoch past 2^31 and a non-ASCII kid was refused (epoch was INTEGER),
  // so a valid signed record became a reject and its chain showed a gap.
  it('stores the widest values the schema accepts (epoch up to 2^53-1, a non-ASCII kid, years 0001 and 9999)', async () => {
    const sink = open();
    const chain = makeEvent().event_id as string;
    const e = chainEvent(chain, 1);
    const integrity = { ...(e.integrity as object), epoch: Number.MAX_SAFE_INTEGER, kid: 'clé-ключ-鍵' };
    const first = makeEvent({ event_time: '0001-01-01T00:00:00Z' });
    const last = makeEvent({ event_time: '9999-12-31T23:59:59.999Z' });
    await sink.write([{ ...e, integrity }, first, last]);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 3, rejected: 0 });
    const { rows } = await db.query('SELECT epoch::text AS epoch, kid FROM security_audit_events WHERE epoch IS NOT NULL');
    expect(rows).toEqual([{ epoch: String(Number.MAX_SAFE_INTEGER), kid: 'clé-ключ-鍵' }]);
    const times = await db.query("SELECT to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM security_audit_events WHERE epoch IS NULL ORDER BY event_timestamp");
    expect(times.rows.map((r) => r.day)).toEqual(['0001-01-01', '9999-12-31']);
  });
});

describe('PostgreSQL: half a surrogate pair alone', () => {
  it('an escaped lone surrogate in a line is a reject, in an object U+FFFD: every report still runs (one such stored event failed four of them)', async () => {
    const sink = open();
    const line = JSON.stringify(makeEvent({ user_agent: 'UA' })).replace('"UA"', '"x\\ud800y"');
    const object = makeEvent({ user_agent: 'x\udc00y', runtime: { host: 'h' } });
    const container = makeEvent({ event_type: 'CONTAINER_EXEC', outcome: 'success', user_id: undefined, client_ip: undefined, error: undefined, webauthn: undefined, container: { id: 'abcdefabcdef', image: 'img' }, process: { command_line: 'bash -c \ud83d' } });
    // In an identifier the half is refused, not repaired: alice\ud800 and alice\udbff are not one user.
    const identifier = makeEvent({ user_id: 'alice\ud800' });
    expect(await sink.write([line, object, container, identifier])).toEqual({ accepted: 2, rejected: 2 });
    await sink.flush();
    const rejects = (await db.query('SELECT reason FROM security_audit_rejects ORDER BY id')).rows as { reason: string }[];
    expect(rejects).toHaveLength(2);
    expect(rejects[0]!.reason).toContain('half of a UTF-16 surrogate pair alone');
    expect(rejects[1]!.reason).toMatch(/half of a UTF-16 surrogate pair alone|lone surrogate/);
    const stored = (await db.query('SELECT event_json FROM security_audit_events ORDER BY id')).rows as { event_json: string }[];
    expect(stored.map((r) => JSON.parse(r.event_json).user_agent ?? JSON.parse(r.event_json).process.command_line)).toEqual(['x\ufffdy', 'bash -c \ufffd']);
    for (const name of REPORT_QUERY_NAMES) {
      const q = bindQuery(REPORT_QUERIES[name], 'postgres');
      await expect(db.query(q.text, q.positional as unknown[]), name).resolves.toBeDefined();
    }
    const failures = bindQuery(REPORT_QUERIES['webauthn-failures'], 'postgres');
    expect((await db.query(failures.text, failures.positional as unknown[])).rows.length).toBeGreaterThanOrEqual(1);
  });
});

describe('PostgreSQL COPY fast path', () => {
  beforeEach(() => {
    load = 'copy';
  });
  // audit_stage is the session temp table of the staging path; pg_class shows it from any session.
  const staged = async () => Number((await db.query("SELECT count(*) AS n FROM pg_class WHERE relname = 'audit_stage' AND relpersistence = 't'")).rows[0].n);

  it('COPYs fresh batches straight into the events table, and falls back to staging for a batch holding a stored event', async () => {
    const sink = open();
    const first = makeEvents(300);
    await sink.write(first);
    await sink.flush();
    expect(await count()).toBe(300);
    expect(await staged()).toBe(0); // no staging table: the direct COPY took every row
    const fresh = makeEvents(200);
    await sink.write([...fresh.slice(0, 100), ...first.slice(0, 50), ...fresh.slice(100)]);
    await sink.flush();
    expect(await count()).toBe(500);
    expect(await staged()).toBeGreaterThan(0);
    expect(sink.stats()).toMatchObject({ committed: 500, duplicates: 50, rejected: 0 });
    const ids = (await db.query('SELECT event_id::text AS id FROM security_audit_events')).rows.map((r) => r.id as string);
    expect(new Set(ids)).toEqual(new Set([...first, ...fresh].map((e) => e.event_id as string)));
  });

  it('a taken chain position in a direct batch rolls back only the attempt: the conflict is a reject, its batch-mates commit', async () => {
    const sink = open();
    const chain = '0190a0e0-0000-7000-8000-00000000c0de';
    await sink.write(chainEvent(chain, 1));
    await sink.flush();
    const others = makeEvents(20);
    const intruder = chainEvent(chain, 1);
    await sink.write([...others.slice(0, 10), intruder, ...others.slice(10)]);
    await sink.flush();
    expect(await count()).toBe(21);
    const rejects = (await db.query('SELECT reason FROM security_audit_rejects')).rows;
    expect(rejects).toHaveLength(1);
    expect(rejects[0].reason).toMatch(/^CHAIN_POSITION_CONFLICT/);
    expect(sink.stats()).toMatchObject({ committed: 21, chainConflicts: 1 });
  });

  it('a batch holding an event and a forgery of its chain position, on a connection that never staged, settles both instead of stalling delivery', async () => {
    const sink = open();
    const chain = '0190a0e0-0000-7000-8000-00000000f0f0';
    const original = chainEvent(chain, 1);
    const forgery = chainEvent(chain, 1);
    // One write, one batch: the first round (the original and its mates) goes in by direct COPY,
    // the second (the forgery at the same position) needs the staging table.
    await sink.write([original, ...makeEvents(5), forgery]);
    const flushed = await Promise.race([sink.flush().then(() => true), new Promise<false>((r) => setTimeout(r, 5000, false))]);
    expect(sink.stats().lastError).toBeUndefined();
    expect(flushed).toBe(true);
    expect(await count()).toBe(6);
    expect((await db.query('SELECT raw_payload FROM security_audit_rejects')).rows.map((r) => JSON.parse(r.raw_payload).event_id)).toEqual([forgery.event_id]);
    expect(sink.stats()).toMatchObject({ committed: 6, chainConflicts: 1, retries: 0 });
  });
});

