import { EVENTS_TABLE, INSERT_COLUMNS, REJECTS_TABLE } from '@audit-trail/schema';

/** Array cast of a column's PostgreSQL type: `VARCHAR(50)` -> `varchar[]`, `TIMESTAMPTZ(3)` -> `timestamptz[]`. */
export function arrayCast(pgType: string): string {
  return `${pgType.replace(/\(.*\)$/, '').toLowerCase()}[]`;
}

/**
 * One statement per batch, whatever its size: every column travels as ONE
 * array parameter and `unnest` turns them back into rows, so the statement
 * text and its plan are the same for every batch (no 65 535-parameter cap,
 * no per-row parse). `ON CONFLICT DO NOTHING` without a target skips rows that
 * hit either unique index (event_id, or chain_id+seq); `RETURNING` tells which
 * rows went in, and the adapter classifies the others.
 */
export const PG_INSERT_EVENTS = `INSERT INTO ${EVENTS_TABLE} (${INSERT_COLUMNS.map((c) => c.name).join(', ')})
SELECT * FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${arrayCast(c.type.postgres)}`).join(', ')})
ON CONFLICT DO NOTHING
RETURNING event_id`;

/**
 * Rejects of a batch, same technique; a refusal whose reject_key is stored
 * changes nothing (the conflict target names the partial unique index by its
 * column and predicate, PostgreSQL docs, INSERT "index_predicate").
 */
export const PG_INSERT_REJECTS = `INSERT INTO ${REJECTS_TABLE} (source, reason, raw_payload, reject_key)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (reject_key) WHERE reject_key IS NOT NULL DO NOTHING`;

/**
 * Which of these event ids are stored, with the event each holds: to tell
 * duplicates from event_id conflicts (adapter.ts isSameEvent) and both from
 * chain position conflicts. Run only for rows ON CONFLICT skipped.
 */
export const PG_STORED_IDS = `SELECT event_id::text AS event_id, event_json FROM ${EVENTS_TABLE} WHERE event_id = ANY($1::uuid[])`;

/** Holders of these chain positions. */
export const PG_HOLDERS = `SELECT chain_id::text AS chain_id, seq, event_id::text AS event_id FROM ${EVENTS_TABLE}
WHERE (chain_id, seq) IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`;

/**
 * A batch's transaction begins by taking the writers' advisory lock shared
 * (in the BEGIN's simple query: no extra round trip). A batch run again
 * after a deadlock takes it exclusively ({@link pgBeginAlone}), so it
 * waits for the batches in flight on every sink and runs alone: it cannot be
 * a victim again. Transaction-scoped, so PgBouncer in transaction mode may
 * sit in between.
 */
export const PG_BEGIN_WRITE = `BEGIN; SELECT pg_advisory_xact_lock_shared(hashtext('audit-trail:write'))`;

/**
 * The exclusive form, for the `attempt`th run of a batch (from 1), waits at
 * most 2 s, then 4, then 8 (lock_timeout): while it waits, every other
 * sink's next batch queues behind it, and a batch whose sink stopped
 * answering mid-transaction (a node cut off) holds the shared lock until
 * the server drops its connection; a fixed 2 s could run out on every
 * attempt behind a long batch on a slow server (found by a review). Past
 * it the attempt fails with 55P03 (lock_not_available) and is tried again.
 * The statements after it run under the connection's default lock_timeout
 * again (its server, database, role or startup value; the sink sets none of
 * its own).
 */
export function pgBeginAlone(attempt: number): string {
  const ms = 2000 * 2 ** Math.min(Math.max(attempt - 1, 0), 2);
  return `BEGIN; SET LOCAL lock_timeout = ${ms}; SELECT pg_advisory_xact_lock(hashtext('audit-trail:write')); SET LOCAL lock_timeout TO DEFAULT`;
}

/** Serialises concurrent migrations (CREATE ... IF NOT EXISTS can race on the catalog). */
export const PG_MIGRATION_LOCK = `SELECT pg_advisory_xact_lock(hashtext('audit-trail:migrate'))`;

/**
 * The audit tables' columns as PostgreSQL describes them, for the drift
 * check after the DDL (check-drift.ts): `format_type` spells a type as DDL
 * would (`character varying(256)`, `timestamp(3) with time zone`), and
 * `to_regclass` finds the tables by the search path, as the DDL's
 * unqualified names did. `has_default`: the database may fill the column
 * when an INSERT leaves it out (a default, which a generated column has
 * too, an identity, a domain's default, or an enabled BEFORE INSERT row
 * trigger of the table, which may set it: tgtype bits ROW 1, BEFORE 2,
 * INSERT 4, PostgreSQL's pg_trigger.h); `view`: the name is a view's
 * (pg_class.relkind 'v').
 */
export const PG_DESCRIBE_TABLES = `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
  a.atthasdef OR a.attidentity <> '' OR EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = a.atttypid AND t.typdefaultbin IS NOT NULL)
    OR EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgenabled <> 'D' AND tg.tgtype & 7 = 7) AS has_default,
  c.relkind = 'v' AS view
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.oid IN (to_regclass($1), to_regclass($2)) AND a.attnum > 0 AND NOT a.attisdropped`;

/**
 * The audit tables' indexes, for the drift check of the unique indexes the
 * writer relies on (schema index-drift.ts): unique or not, key columns in
 * order (`pg_get_indexdef` of each key column: its name, or an expression;
 * INCLUDE columns are past `indnkeyatts`), the predicate of a partial
 * index (`pg_get_expr` of `indpred`, NULL for a full one), and whether it
 * is valid (`indisvalid`: a CREATE INDEX CONCURRENTLY that failed leaves an
 * invalid one under its name, which ON CONFLICT does not infer).
 */
export const PG_DESCRIBE_INDEXES = `SELECT t.relname AS table_name, i.relname AS name, x.indisunique AS unique, x.indisvalid AS usable,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS columns,
  pg_get_expr(x.indpred, x.indrelid) AS predicate
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.oid IN (to_regclass($1), to_regclass($2))`;

/**
 * The current database's character encoding. The table's widths and the
 * schema's limits assume UTF8, where VARCHAR(n) counts characters
 * (identifiers are at most n UTF-16 units, so at most n characters). In
 * SQL_ASCII, what `initdb` picks under the C or POSIX locale, it counts bytes:
 * a 128-character service name in Cyrillic is 256 bytes, "value too long for
 * type character varying(128)"; in LATIN1 a character outside Latin-1 has "no
 * equivalent". Either way a valid (maybe signed) event went to the rejects as
 * DB_REFUSED after migrate had said nothing; found by a probe. PostgreSQL
 * docs, "Character Set Support" (SQL_ASCII: "byte values 128-255 are
 * uninterpreted") and "Character Types" (n is in characters).
 */
export const PG_DATABASE_ENCODING = 'SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()';

const COLS = INSERT_COLUMNS.map((c) => c.name).join(', ');

/** Session staging table for the COPY path; emptied at every commit. */
export const PG_CREATE_STAGE = `CREATE TEMP TABLE IF NOT EXISTS audit_stage ON COMMIT DELETE ROWS AS SELECT ${COLS} FROM ${EVENTS_TABLE} WITH NO DATA`;

/** COPY of a round into the staging table (text format). */
export const PG_COPY_STAGE = `COPY audit_stage (${COLS}) FROM STDIN`;

/**
 * COPY cannot skip duplicates (it stops at the first error), so it only fills
 * the staging table; this statement moves the round into the events table
 * with the same conflict handling as the unnest path.
 */
export const PG_INSERT_FROM_STAGE = `INSERT INTO ${EVENTS_TABLE} (${COLS}) SELECT ${COLS} FROM audit_stage ON CONFLICT DO NOTHING RETURNING event_id`;

/**
 * The fast path: COPY straight into the events table, inside a savepoint.
 * COPY has no ON CONFLICT, so a batch holding a stored event_id or a taken
 * chain position fails with unique_violation (SQLSTATE 23505); the adapter
 * then rolls back to the savepoint and takes the staging path. Resends are
 * the exception, so most batches cost one COPY instead of COPY + INSERT.
 */
export const PG_COPY_EVENTS = `COPY ${EVENTS_TABLE} (${COLS}) FROM STDIN`;

/** unique_violation (PostgreSQL error codes, appendix A). */
export const PG_UNIQUE_VIOLATION = '23505';

/** Empties the staging table between rounds of one transaction. */
export const PG_CLEAR_STAGE = 'DELETE FROM audit_stage';
