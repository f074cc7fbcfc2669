/**
 * The JSON text parseAuditEvent accepts is stored as `event_json`, which the
 * report queries read with SQLite's JSON functions and PostgreSQL's jsonb. A
 * text either of them refuses made every report that reads `event_json`
 * fail, for all rows, until the row was deleted (found by a probe): a
 * transport member nested deeper than SQLite's JSON depth limit or
 * PostgreSQL's stack, or a number literal PostgreSQL's numeric cannot hold
 * (JSON.parse reads `1.000...0` as 1, and `1e200000` in a transport member
 * is not validated at all). Needs PostgreSQL on 127.0.0.1:5432 (PG_ADMIN_URL
 * to override); it creates nothing there.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleEvents, parseAuditEvent } from '../src/index.js';

const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let client: pg.Client;
const sqlite = new Database(':memory:');

beforeAll(async () => {
  client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is required for this suite (${ADMIN_URL}): ${err.message}`);
  });
});

afterAll(async () => {
  await client?.end();
  sqlite.close();
});

/** A valid event as pino writes it, `level` first, with `edit` applied to its text. */
const line = (edit: (text: string) => string): string =>
  edit(JSON.stringify({ level: 30, ...exampleEvents.WEBAUTHN_AUTH_FAILURE }));
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Texts no reader may be handed: each stopped the reports once stored. */
const REFUSED: Record<string, string> = {
  'msg nested 1000 deep (SQLite: malformed JSON)': line((t) => t.replace('"level":30', `"level":30,"msg":${nested(1000)}`)),
  'msg nested 100 000 deep (PostgreSQL: stack depth limit exceeded)': line((t) => t.replace('"level":30', `"level":30,"msg":${nested(100_000)}`)),
  'level 1e200000 (PostgreSQL: value overflows numeric format)': line((t) => t.replace('"level":30', '"level":1e200000')),
  'time 1e-200000': line((t) => t.replace('"level":30', '"level":30,"time":1e-200000')),
  'severity 3 with 20 000 zeros after the point, which JSON.parse reads as 3': line((t) => t.replace('"severity":3', `"severity":3.${'0'.repeat(20_000)}`)),
};

/** Just past the limits: refused too, though both readers would still take them. */
const PAST_LIMITS: Record<string, string> = {
  'msg nested to 17 levels with the event itself': line((t) => t.replace('"level":30', `"level":30,"msg":${nested(16)}`)),
  'a 41-character number': line((t) => t.replace('"severity":3', `"severity":2.${'9'.repeat(39)}`)),
  'a four-digit exponent': line((t) => t.replace('"level":30', '"level":30,"time":1e-1000')),
};

/** Texts that stay valid: the spellings a producer may use, at the limits. */
const ACCEPTED: Record<string, string> = {
  'the event as written': line((t) => t),
  'severity 3.0, 3e0 and 30E-1': line((t) => t.replace('"severity":3', '"severity":30E-1').replace('"level":30', '"level":3.0,"pid":3e0')),
  'a 40-character number': line((t) => t.replace('"severity":3', `"severity":2.${'9'.repeat(38)}`)),
  'a three-digit exponent': line((t) => t.replace('"level":30', '"level":30,"time":1.5e-999,"pid":1e999')),
  'msg nested to 16 levels with the event itself': line((t) => t.replace('"level":30', `"level":30,"msg":${nested(15)}`)),
  'brackets, braces and long numbers inside strings': line((t) => t.replace('"level":30', `"level":30,"msg":"${nested(100)}{{{ \\"${'1'.repeat(100)}e12345 ]]"`)),
};

/** What SQLite and PostgreSQL read as `event_id` from the text, or the error they raise. */
async function readers(text: string): Promise<[string, string]> {
  const lite = (() => {
    try {
      return String((sqlite.prepare("SELECT json_extract(?, '$.event_id') AS id").get(text) as { id: unknown }).id);
    } catch (err) {
      return (err as Error).message;
    }
  })();
  const postgres = await client.query("SELECT ($1::text)::jsonb ->> 'event_id' AS id", [text]).then(
    (r) => String((r.rows[0] as { id: unknown }).id),
    (err: Error) => err.message,
  );
  return [lite, postgres];
}

describe('JSON text parseAuditEvent accepts', () => {
  const id = exampleEvents.WEBAUTHN_AUTH_FAILURE.event_id;

  it.each(Object.entries({ ...REFUSED, ...ACCEPTED }))('is read by SQLite and PostgreSQL: %s', async (_name, text) => {
    if (parseAuditEvent(text).ok) expect(await readers(text)).toEqual([id, id]);
  });

  it.each(Object.entries({ ...REFUSED, ...PAST_LIMITS }))('refuses %s, naming why', (_name, text) => {
    expect(parseAuditEvent(text)).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/^the text (nests arrays and objects deeper than 16 levels|holds the number .+ spelled with more than 40 characters or an exponent of more than 3 digits)/) }],
    });
  });

  it.each(Object.entries(ACCEPTED))('accepts %s', (_name, text) => {
    expect(parseAuditEvent(text).ok).toBe(true);
  });
});
