/** Generated SQLite DDL and report queries against a real database file in a temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindQuery, exampleEvents, parseAuditEvent, REPORT_QUERIES } from '../src/index.js';
import { rowOf } from './support/report-fixtures.js';
import { defineReportTests, insertRejectSql, insertSql, type TestDb } from './support/report-suite.js';

let dir: string;
let db: Database.Database;

const testDb: TestDb = {
  dialect: 'sqlite',
  async exec(sql) {
    db.exec(sql);
  },
  async insert(row) {
    db.prepare(insertSql('sqlite')).run(...row);
  },
  async insertReject(r) {
    db.prepare(insertRejectSql('sqlite')).run(r.received_at, r.source, r.reason, r.raw_payload);
  },
  async all(sql, bound) {
    const stmt = db.prepare(sql);
    return (bound ? stmt.all(bound.named) : stmt.all()) as Record<string, unknown>[];
  },
  async columns(table) {
    return (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map((r) => r.name);
  },
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'at-schema-'));
  db = new Database(join(dir, 'audit.db'));
  db.pragma('journal_mode = WAL');
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite: generated DDL and report queries', () => {
  defineReportTests(() => testDb);

  it('ignores a resent event_id and refuses a different event on a taken (chain_id, seq)', () => {
    const open = exampleEvents.AUDIT_CHAIN_OPEN;
    const sql = insertSql('sqlite').replace('INSERT INTO', 'INSERT OR IGNORE INTO');
    // OR IGNORE would also swallow the (chain_id, seq) conflict, so the
    // writer must not rely on it for that index: check each index separately.
    expect(db.prepare(sql).run(...rowOf(open)).changes).toBe(1);
    expect(db.prepare(`${insertSql('sqlite')} ON CONFLICT (event_id) DO NOTHING`).run(...rowOf(open)).changes).toBe(0);
    const forged = parseAuditEvent({ ...open, event_id: '01a1f82f-5530-7ae0-a10e-6fdfaf2fe895' });
    if (!forged.ok) throw new Error('forged example should parse');
    expect(() => db.prepare(`${insertSql('sqlite')} ON CONFLICT (event_id) DO NOTHING`).run(...rowOf(forged.event))).toThrow(
      /UNIQUE constraint failed: security_audit_events.chain_id, security_audit_events.seq/,
    );
  });

  it('keeps a uint32 counter and a 1364-character credential id exactly', () => {
    const input = {
      ...exampleEvents.WEBAUTHN_AUTH_SUCCESS,
      event_id: '01a1f82f-5918-7bdb-b63d-6b7c35d8ad1d',
      webauthn: { ...exampleEvents.WEBAUTHN_AUTH_SUCCESS.webauthn, credential_id: 'A'.repeat(1364), sign_count: 4_294_967_295 },
    };
    const parsed = parseAuditEvent(input);
    if (!parsed.ok) throw new Error('input should parse');
    db.prepare(insertSql('sqlite')).run(...rowOf(parsed.event));
    const row = db.prepare('SELECT credential_id, sign_count FROM security_audit_events WHERE event_id = ?').get(input.event_id);
    expect(row).toEqual({ credential_id: 'A'.repeat(1364), sign_count: 4_294_967_295 });
  });

  it('stores event_timestamp at one fixed width (milliseconds), so text order is time order whatever precision the event was written with', () => {
    const times = ['2026-11-20T09:00:00.5Z', '2026-11-20T09:00:00Z', '2026-11-20T09:00:00.123456Z', '2026-11-20T08:59:59.9999Z', '2026-11-20T09:00:30Z'];
    const ids = times.map((_, i) => `01a1f82f-6000-7000-8000-00000000000${i}`);
    times.forEach((event_time, i) => {
      const parsed = parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: ids[i], event_time });
      if (!parsed.ok) throw new Error(`should parse: ${JSON.stringify(parsed.issues)}`);
      db.prepare(insertSql('sqlite')).run(...rowOf(parsed.event));
    });
    const rows = db.prepare(`SELECT event_timestamp FROM security_audit_events WHERE event_id IN (${ids.map(() => '?').join(',')}) ORDER BY event_timestamp`).all(...ids) as { event_timestamp: string }[];
    expect(rows.map((r) => r.event_timestamp)).toEqual(['2026-11-20T08:59:59.999Z', '2026-11-20T09:00:00.000Z', '2026-11-20T09:00:00.123Z', '2026-11-20T09:00:00.500Z', '2026-11-20T09:00:30.000Z']);
  });

  it('joins each burst with the failures of its IP only, not every failure of the last :days days again (found by a probe: 10 000 failures from 100 IPs took 39 s)', () => {
    const bound = bindQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'sqlite');
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${bound.text}`).all(bound.named) as { detail: string }[]).map((r) => r.detail);
    // The table is read once, into the materialized failures; the join finds a burst's IP in them by an index.
    expect(plan.filter((d) => d.includes('security_audit_events'))).toHaveLength(1);
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH f USING .*INDEX \(client_ip=\?\)/));
  });

  it('takes a word\'s base name in the shell reports of its last 64 characters: rtrim\'s time grows with its text times its set of characters, the whole word (2000 `x` then 2000 `y`: 8 ms; 1000 execs of `sudo` and such a word, 16.6 s; found by a probe)', () => {
    for (const name of ['container-shell-sessions', 'container-shells'] as const) {
      const text = REPORT_QUERIES[name].sql.sqlite;
      // The first argument of each rtrim(X, Y) of the text, its parentheses balanced ('(' in literals: none but
      // 'pty.spawn('); rtrim(X), which trims spaces, is left out.
      const firsts = [...text.matchAll(/rtrim\(/g)].flatMap((m) => {
        let depth = 0;
        const start = m.index + 'rtrim('.length;
        for (let i = start; i < text.length; i++) {
          if (text.startsWith("'pty.spawn('", i)) i += "'pty.spawn('".length - 1;
          else if (text[i] === '(') depth++;
          else if (text[i] === ')' && depth-- === 0) return [];
          else if (text[i] === ',' && depth === 0) return [text.slice(start, i)];
        }
        throw new Error('unbalanced rtrim(');
      });
      expect(firsts.length, name).toBeGreaterThan(0);
      for (const x of firsts) expect(x, name).toMatch(/^' ' \|\| substr\('\/' \|\| .*, -64\)$/s);
    }
  });

  it('finds a burst in the last minutes of 9999, as PostgreSQL and SQL Server do (julianday() is NULL past 9999-12-31; found by a probe)', () => {
    const ip = '198.51.100.251';
    const late = Array.from({ length: 5 }, (_, i) => {
      const parsed = parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: `01a1f82f-6100-7000-8000-00000000000${i}`, client_ip: ip, event_time: new Date(Date.UTC(9999, 11, 31, 23, 55 + i)).toISOString() });
      if (!parsed.ok) throw new Error(`should parse: ${JSON.stringify(parsed.issues)}`);
      return parsed.event;
    });
    try {
      for (const e of late) db.prepare(insertSql('sqlite')).run(...rowOf(e));
      const bound = bindQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'sqlite');
      const rows = (db.prepare(bound.text).all(bound.named) as { client_ip: string }[]).filter((r) => r.client_ip === ip);
      expect(rows).toEqual([{ client_ip: ip, peak_failures: 5, peak_users: 1, first_burst_at: late[0]!.event_time, last_burst_at: late[4]!.event_time }]);
    } finally {
      db.prepare('DELETE FROM security_audit_events WHERE client_ip = ?').run(ip);
    }
  });
});
