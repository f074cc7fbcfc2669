import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLogger } from '@audit-trail/logger';
import { createSink } from '@audit-trail/ingest-sink';
import { createTempDatabase } from '../../ingest-sink/test/helpers/postgres.js';
import { runCli } from './support/run-cli.js';

const secret = randomBytes(32);
const env = { AUDIT_TRAIL_KID: 'db-test', AUDIT_TRAIL_SECRET: secret.toString('base64') };

/** A closed, signed chain of WebAuthn failures of `users`, as the logger wrote them (on `clock`, ticked before each, when given), by `instance`. */
async function signedLines(users = ['alice', 'bob', 'carol'], clock?: { now: () => Date; tick: () => void }, instance?: string, node?: string): Promise<string[]> {
  const lines: string[] = [];
  const logger = createAuditLogger({
    service: 'webauthn-api',
    ...(instance ? { instance } : {}),
    env: {},
    runtime: node ? { k8s_node: node } : false,
    destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    signing: { mode: 'shared', kid: 'db-test', secret },
    ...(clock ? { now: clock.now } : {}),
  });
  for (const user of users) {
    clock?.tick();
    logger.emit({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: user,
      client_ip: '203.0.113.9',
      error: { code: 'BAD_SIGNATURE', message: 'signature did not verify' },
      webauthn: { failure_stage: 'signature' },
    });
  }
  await logger.close();
  return lines;
}

const cli = (...argv: string[]) => runCli(argv, { env });

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'at-verify-db-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function store(url: string, lines: string[]) {
  const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
  await sink.migrate();
  await sink.write(lines);
  await sink.close();
}

describe('audit-trail verify --db (SQLite)', () => {
  let file: string;
  let url: string;
  beforeAll(async () => {
    file = join(tmp, 'audit.db');
    url = `sqlite:${file}`;
    await store(url, await signedLines());
  });
  const sql = (text: string, ...params: unknown[]) => {
    const db = new Database(file);
    db.prepare(text).run(...params);
    db.close();
  };

  it('verifies the chain stored in the table', async () => {
    const r = await cli('verify', '--db', url);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/5 records, 1 chain \(1 clean\), 0 findings/);
  });

  it('finds an analyst column edited without touching the signed JSON', async () => {
    sql(`UPDATE security_audit_events SET client_ip = '198.51.100.1' WHERE user_id = 'bob'`);
    const r = await cli('verify', '--db', url, '--json');
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.out).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'PROJECTION_MISMATCH', seq: 3 });
    expect(findings[0].location).toMatch(/^security_audit_events id=\d+$/);
    sql(`UPDATE security_audit_events SET client_ip = '203.0.113.9' WHERE user_id = 'bob'`);
  });

  it('finds a forged row whose event_json is no audit record, and a timestamp respelled so that it sorts out of the reports (found by a probe)', async () => {
    const db = new Database(file);
    const names = (db.prepare(`SELECT name FROM pragma_table_info('security_audit_events') WHERE name <> 'id'`).all() as { name: string }[]).map((r) => r.name);
    // A copy of bob's row with other columns and JSON that is no audit record: reports would show mallory.
    const set: Record<string, string> = { event_id: "'0190a0a0-0000-7000-8000-000000000001'", user_id: "'mallory'", chain_id: 'NULL', seq: 'NULL', event_json: "'{}'" };
    db.prepare(`INSERT INTO security_audit_events (${names.join(', ')}) SELECT ${names.map((n) => set[n] ?? n).join(', ')} FROM security_audit_events WHERE user_id = 'bob'`).run();
    db.close();
    const forged = await cli('verify', '--db', url, '--json');
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.out).findings).toMatchObject([{ code: 'SCHEMA_INVALID', message: expect.stringMatching(/^not an audit record/) }]);
    sql(`DELETE FROM security_audit_events WHERE user_id = 'mallory'`);
    // '+00' before the year: the same instant to Date.parse, before every '2026-...' as text.
    sql(`UPDATE security_audit_events SET event_timestamp = '+00' || event_timestamp WHERE user_id = 'bob'`);
    const respelled = await cli('verify', '--db', url, '--json');
    expect(respelled.code).toBe(1);
    expect(JSON.parse(respelled.out).findings).toMatchObject([{ code: 'PROJECTION_MISMATCH', message: expect.stringContaining('column event_timestamp holds "+00') }]);
    sql(`UPDATE security_audit_events SET event_timestamp = substr(event_timestamp, 4) WHERE user_id = 'bob'`);
    expect((await cli('verify', '--db', url)).code).toBe(0);
  });

  it('finds a column holding the same text as a BLOB, which SQL compares with no text and the reports skip (found by a probe)', async () => {
    sql(`UPDATE security_audit_events SET event_type = CAST(event_type AS BLOB), event_timestamp = CAST(event_timestamp AS BLOB) WHERE user_id = 'bob'`);
    const r = await cli('verify', '--db', url, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings.map((f: { code: string; message: string }) => `${f.code} ${f.message.split(' holds')[0]}`).sort()).toEqual([
      'PROJECTION_MISMATCH column event_timestamp',
      'PROJECTION_MISMATCH column event_type',
    ]);
    sql(`UPDATE security_audit_events SET event_type = CAST(event_type AS TEXT), event_timestamp = CAST(event_timestamp AS TEXT) WHERE user_id = 'bob'`);
    expect((await cli('verify', '--db', url)).code).toBe(0);
  });

  it('finds the signed JSON edited (MAC_INVALID) a deleted middle row (SEQ_GAP) and a deleted last row (TAIL_TRUNCATED: the CLOSE names it)', async () => {
    sql(`UPDATE security_audit_events SET event_json = replace(event_json, '"carol"', '"mallory"') WHERE user_id = 'carol'`);
    const edited = JSON.parse((await cli('verify', '--db', url, '--json')).out).findings.map((f: any) => f.code);
    expect(edited).toContain('MAC_INVALID');
    sql(`DELETE FROM security_audit_events WHERE user_id = 'bob'`);
    const middle = await cli('verify', '--db', url, '--json');
    expect(middle.code).toBe(1);
    expect(JSON.parse(middle.out).findings.map((f: any) => f.code)).toEqual(expect.arrayContaining(['SEQ_GAP']));
    sql(`DELETE FROM security_audit_events WHERE user_id = 'carol'`);
    const tail = JSON.parse((await cli('verify', '--db', url, '--json')).out).findings;
    expect(tail.map((f: any) => f.code)).toEqual(expect.arrayContaining(['TAIL_TRUNCATED']));
  });

  it('reports a missing key instead of passing an unverifiable chain', async () => {
    const r = await runCli(['verify', '--db', url]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('KEY_UNKNOWN');
  });
});

describe('audit-trail verify --db on rows stored before a column existed', () => {
  it('takes a NULL k8s_node (what migrate leaves in older rows) for not recorded, and a different node for an edit', async () => {
    const file = join(tmp, 'older.db');
    const url = `sqlite:${file}`;
    await store(url, await signedLines(['dave', 'erin'], undefined, undefined, 'worker-3'));
    const sql = (text: string) => {
      const db = new Database(file);
      db.prepare(text).run();
      db.close();
    };
    sql(`UPDATE security_audit_events SET k8s_node = NULL`);
    const older = await cli('verify', '--db', url);
    expect(older.out).toMatch(/4 records, 1 chain \(1 clean\), 0 findings/);
    expect(older.code).toBe(0);
    sql(`UPDATE security_audit_events SET k8s_node = 'worker-9' WHERE user_id = 'erin'`);
    const edited = await cli('verify', '--db', url, '--json');
    expect(edited.code).toBe(1);
    expect(JSON.parse(edited.out).findings).toMatchObject([{ code: 'PROJECTION_MISMATCH', message: expect.stringContaining('column k8s_node holds "worker-9"') }]);
  });
});

describe('audit-trail verify --db (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let url: string;
  const query = (text: string) => db.query(text);
  beforeAll(async () => {
    db = await createTempDatabase('at_cli_verify');
    url = db.url;
    await store(url, await signedLines());
  });
  afterAll(() => db.drop());

  it('verifies a clean chain despite driver types (timestamps, UUIDs, BIGINT) and finds an edited column', async () => {
    const clean = await cli('verify', '--db', url);
    expect(clean.err).toBe('');
    expect(clean.code).toBe(0);
    await query(`UPDATE security_audit_events SET event_timestamp = event_timestamp - interval '1 hour' WHERE user_id = 'alice'`);
    const r = await cli('verify', '--db', url, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings).toMatchObject([{ code: 'PROJECTION_MISMATCH', seq: 2 }]);
  });
});

describe('audit-trail verify --db --settle (a live table fed by several aggregators)', () => {
  it('does not judge the records still arriving: a gap behind them is pending until it is older than the settle time', async () => {
    // Ten events 1 s apart; the 9th (seq 10) goes through an aggregator whose
    // database writes are behind, so the rows after it are stored first.
    let t = Date.parse('2026-03-01T12:00:00.000Z');
    const users = Array.from({ length: 10 }, (_, i) => `user-${i + 1}`);
    // Without its CLOSE: the producer is still running.
    const lines = (await signedLines(users, { now: () => new Date(t), tick: () => (t += 1000) })).slice(0, -1);
    const late = lines.splice(9, 1); // seq 10, stamped 12:00:09
    const url = `sqlite:${join(tmp, 'settle.db')}`;
    await store(url, lines); // OPEN and seq 2-9, 11: the newest, 12:00:10

    const strict = await cli('verify', '--db', url);
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/^SEQ_GAP chain=\S+ seq=10/m);
    // Settled by 2.5 s before the newest record (12:00:10): seq 9 (12:00:08) and 11 are pending, the rest is clean.
    const settled = await cli('verify', '--db', url, '--settle', '2.5');
    expect(settled.code).toBe(0);
    expect(settled.out).toMatch(/^OK {3}chain=.* records=10 seq=1-11 .* open pending=2$/m);
    // Judged a second later, the record after the gap is older than the settle time: reported.
    const later = await cli('verify', '--db', url, '--settle', '0.5', '--as-of', '2026-03-01T12:00:11Z');
    expect(later.out).toMatch(/^SEQ_GAP chain=\S+ seq=10/m);
    expect(later.out).not.toContain('pending=');
    // Stamps that run an hour ahead of the database's clock (ingested_at) keep nothing pending: the gap is reported.
    const skew = new Database(join(tmp, 'settle.db'));
    skew.prepare(`UPDATE security_audit_events SET ingested_at = '2026-03-01T11:00:00.000Z'`).run();
    skew.close();
    const ahead = await cli('verify', '--db', url, '--settle', '2.5', '--as-of', '2026-03-01T12:00:10Z');
    expect(ahead.out).toMatch(/^SEQ_GAP chain=\S+ seq=10/m);
    // A pending record is still checked on its own.
    const db = new Database(join(tmp, 'settle.db'));
    db.prepare(`UPDATE security_audit_events SET event_json = replace(event_json, '"user-10"', '"mallory"') WHERE user_id = 'user-10'`).run();
    db.close();
    const forged = await cli('verify', '--db', url, '--settle', '2.5', '--json');
    const found = JSON.parse(forged.out).findings.map((f: { code: string; seq: number }) => `${f.code} ${f.seq}`).sort();
    expect(found).toEqual(['MAC_INVALID 11', 'PROJECTION_MISMATCH 11']); // the JSON no longer matches its user_id column either
    // The late row arrives (the forged one put back): clean with or without settling.
    const fix = new Database(join(tmp, 'settle.db'));
    fix.prepare(`UPDATE security_audit_events SET event_json = replace(event_json, '"mallory"', '"user-10"') WHERE user_id = 'user-10'`).run();
    fix.close();
    await store(url, late);
    expect((await cli('verify', '--db', url)).code).toBe(0);
    expect((await cli('verify', '--db', url, '--settle', 'soon')).code).toBe(2);
  });
});

describe('audit-trail verify --db reads the table chain after chain', () => {
  /** Three producers' chains interleaved as one table receives them, and an unsigned copy of one record (a downgrade). */
  async function table(): Promise<string[]> {
    const chains = await Promise.all(['api-1', 'api-2', 'api-3'].map((instance, c) => signedLines(Array.from({ length: 4 + c }, (_, i) => `u${c}-${i}`), undefined, instance)));
    const lines: string[] = [];
    for (let i = 0; chains.some((c) => i < c.length); i++) for (const c of chains) if (i < c.length) lines.push(c[i]!);
    const downgraded = JSON.parse(chains[1]![2]!);
    delete downgraded.integrity;
    downgraded.event_id = JSON.parse(chains[0]![0]!).event_id.replace(/.$/, (d: string) => (d === '0' ? '1' : '0'));
    lines.push(JSON.stringify(downgraded));
    return lines;
  }

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`${dialect}: judges the same chains as verifying the lines themselves, and finds a row moved to another chain by its columns`, async () => {
      const pg = dialect === 'postgres' ? await createTempDatabase('at_cli_chains') : undefined;
      const url = pg?.url ?? `sqlite:${join(tmp, 'chains.db')}`;
      try {
        const lines = await table();
        await store(url, lines);
        const file = join(tmp, `chains-${dialect}.ndjson`);
        writeFileSync(file, `${lines.join('\n')}\n`);
        const fromDb = JSON.parse((await cli('verify', '--db', url, '--json')).out);
        const fromFile = JSON.parse((await cli('verify', file, '--json')).out);
        const byId = (cs: { chain_id: string }[]) => [...cs].sort((a, b) => a.chain_id.localeCompare(b.chain_id));
        expect(fromDb.chains).toHaveLength(3);
        expect(byId(fromDb.chains)).toEqual(byId(fromFile.chains));
        expect(fromDb.findings).toEqual(fromFile.findings.map((f: { location?: string }) => ({ ...f, location: expect.stringMatching(/^security_audit_events id=\d+$/) })));
        expect(fromDb.findings.map((f: { code: string }) => f.code)).toEqual(['UNSIGNED_IN_SIGNED_CHAIN']);
        expect(fromDb.unsigned).toBe(fromFile.unsigned);

        // seq 3 of api-1's chain, its columns set to a free place in api-3's chain: read there, out of its own.
        const [a, b, c] = [0, 1, 2].map((i) => JSON.parse(lines[i]!).integrity.chain_id as string);
        const name = new Map([[a, 'a'], [b, 'b'], [c, 'c']]);
        const move = `UPDATE security_audit_events SET chain_id = '${c}', seq = 99 WHERE chain_id = '${a}' AND seq = 3`;
        if (pg) await pg.query(move);
        else {
          const db = new Database(join(tmp, 'chains.db'));
          db.prepare(move).run();
          db.close();
        }
        const moved = await cli('verify', '--db', url, '--json');
        expect(moved.code).toBe(1);
        const found = JSON.parse(moved.out).findings.map((f: { code: string; chain_id: string; seq: number }) => `${f.code} ${name.get(f.chain_id)} ${f.seq}`);
        // Its two edited columns, the record itself out of place, and the hole it left; the downgrade as before.
        expect(found.sort()).toEqual(['PROJECTION_MISMATCH a 3', 'PROJECTION_MISMATCH a 3', 'REORDERED a 3', 'SEQ_GAP a 3', 'UNSIGNED_IN_SIGNED_CHAIN b null']);
      } finally {
        await pg?.drop();
      }
    });
  }
});
