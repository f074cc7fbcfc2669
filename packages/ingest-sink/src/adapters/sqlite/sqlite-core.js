// @ts-check
// Plain JavaScript on purpose: this module runs inside a worker_thread, which
// cannot load TypeScript sources in development. Types: sqlite-core.d.ts.
// All SQL comes from the TypeScript side (generated from @audit-trail/schema).
import { conflictReason, idConflictReason } from '../conflict-reason.js';
import { sameEvent } from '../same-event.js';
import { rejectKey } from '../reject-key.js';
import { statementsAfterTables } from '../migration-steps.js';
import { forEachRow } from '../../rows/packed-rows.js';
import { createPrivateFile } from '../../spool/private-files.js';

/**
 * Page size of a database the sink creates: 16 KiB, not SQLite's 4 KiB. An
 * audit row is ~1.2 KB (the event JSON plus its projected columns), so a
 * 4 KiB leaf holds three; on 16 KiB pages the same inserts cost fewer page
 * splits and fewer WAL frame headers: 15-45% more rows/s on the events table,
 * interleaved runs, and 7-11 against 9-13 us of CPU per row
 * (`BENCH_PAGE_KIB=4,4,16,4,16 bench/sink-sqlite-paths.ts 100000 page`).
 * SQLite applies it only to a new, empty database; an existing one keeps its
 * page size (VACUUM in rollback-journal mode changes it).
 */
export const SQLITE_PAGE_SIZE = 16384;

/** WAL size between automatic checkpoints, in bytes (converted to pages of the database's actual size). */
export const SQLITE_CHECKPOINT_BYTES = 40 * 1024 * 1024;

/**
 * Sets the pragmas of every sink connection, in order: the page size of a
 * new database ({@link SQLITE_PAGE_SIZE}; before WAL, which writes the
 * header), WAL with synchronous=FULL (better-sqlite3's bundled default is
 * NORMAL, which can lose the last commits on power loss: better-sqlite3's
 * docs/performance.md), and a WAL autocheckpoint every ~40 MB
 * ({@link SQLITE_CHECKPOINT_BYTES}) instead of SQLite's 1000 pages, because
 * the default checkpointed at nearly every commit of a sink batch, rewriting
 * the same hot index pages into the database file each time (~71k -> ~80k
 * rows/s on the bench table, bench/sink-sqlite-paths.ts), and a WAL file
 * cut back to that size once checkpointed (journal_size_limit). Durability
 * is unchanged: a commit is durable once its WAL frames are fsynced.
 * bench/sink.ts opens its comparison databases with the same function.
 * @param {{ pragma(source: string, options?: { simple?: boolean }): unknown }} db a better-sqlite3 connection
 */
export function applySqlitePragmas(db) {
  db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  db.pragma(`wal_autocheckpoint = ${Math.ceil(SQLITE_CHECKPOINT_BYTES / pageSize)}`);
  // A reader that holds a snapshot (a report left in a pager) keeps the
  // checkpoints from passing it, and the WAL grows with every commit
  // meanwhile (178 MB for 100 000 events, found by a probe). SQLite then
  // reuses the file from its start but never shrinks it while a connection
  // is open: with this limit it is cut back once checkpointed (SQLite,
  // "PRAGMA journal_size_limit": in WAL mode, after a checkpoint reset).
  db.pragma(`journal_size_limit = ${SQLITE_CHECKPOINT_BYTES}`);
}

/**
 * Opens the database with {@link applySqlitePragmas} and prepares the statements of one sink.
 * @param {any} Database better-sqlite3's constructor
 * @param {import('./sqlite-core.js').SqliteCoreInit} init
 * @returns {import('./sqlite-core.js').SqliteCore}
 */
export function openSqliteCore(Database, init) {
  /** @type {any} */
  let db;
  try {
    // A database the sink creates holds audit events: owner-only, as the
    // spool (private-files.js). SQLite gives its -wal and -shm files the
    // database file's mode (os_unix.c, findCreateFileMode), and would
    // otherwise create the file 0644 under the usual umask.
    createPrivateFile(init.filename);
    db = new Database(init.filename, { timeout: init.busyTimeoutMs });
    applySqlitePragmas(db);
  } catch (err) {
    db?.close();
    // SQLite's "unable to open database file" does not say which file: a
    // directory, a missing parent or a file that is not a database all read alike.
    const e = /** @type {{ message: string; code?: unknown }} */ (err);
    throw Object.assign(new Error(`cannot open ${init.filename}: ${e.message}`), { code: e.code });
  }
  const info = db.prepare('SELECT name, type, "notnull" AS not_null, dflt_value IS NOT NULL AS has_default, pk FROM pragma_table_info(?)');
  const kind = db.prepare("SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')").pluck();
  const indexList = db.prepare('SELECT name, "unique" AS is_unique, partial FROM pragma_index_list(?)');
  const indexColumns = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck();
  const indexSql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck();
  /**
   * The columns of `table` as they are (none when it does not exist). A
   * column the database fills: one with a default, or the rowid's alias
   * (the one primary key column declared INTEGER: https://www.sqlite.org/lang_createtable.html#rowid).
   * @param {string} table @returns {import('@audit-trail/schema').FoundColumn[]}
   */
  const columnsOf = (table) => {
    const rows = /** @type {any[]} */ (info.all(table));
    const view = kind.get(table) === 'view';
    const rowid = (/** @type {any} */ c) => c.pk > 0 && String(c.type).toUpperCase() === 'INTEGER' && rows.filter((r) => r.pk > 0).length === 1;
    return rows.map((c) => ({ table, name: String(c.name), type: String(c.type), nullable: c.not_null === 0, hasDefault: c.has_default === 1 || rowid(c), view }));
  };
  /**
   * The indexes of `table`: unique or not, key columns, and the predicate of
   * a partial one, which SQLite keeps only in the CREATE INDEX text as written.
   * @param {string} table @returns {import('@audit-trail/schema').FoundIndex[]}
   */
  const indexesOf = (table) =>
    indexList.all(table).map((/** @type {any} */ ix) => {
      const where = ix.partial === 1 ? /\bWHERE\b([\s\S]*)$/i.exec(String(indexSql.get(ix.name) ?? ''))?.[1]?.trim() : undefined;
      const columns = indexColumns.all(ix.name).map((/** @type {unknown} */ c) => (c === null ? '(expression)' : String(c)));
      return { table, name: String(ix.name), unique: ix.is_unique === 1, columns, where };
    });
  /** The columns and indexes of `tables` as they are (none for a table that does not exist). */
  const describe = (/** @type {string[]} */ tables) => ({ columns: tables.flatMap(columnsOf), indexes: tables.flatMap(indexesOf) });
  /** @type {any} */
  let stmts;
  const prepare = () => {
    stmts ??= {
      event: db.prepare(init.insertEventSql),
      reject: db.prepare(init.insertRejectSql),
      holder: db.prepare(init.holderSql),
      stored: db.prepare(init.storedEventSql).pluck(),
    };
    return stmts;
  };
  const write = db.transaction((/** @type {import('./sqlite-core.js').CoreBatch} */ batch) => {
    const s = prepare();
    // One ingested_at per transaction, in the column default's format (sqlite-sql.ts says why).
    const ingestedAt = new Date().toISOString();
    let inserted = 0;
    let duplicates = 0;
    let rejectsStored = 0;
    /** @param {import('./sqlite-core.js').CoreReject} r */
    const reject = (r) => (rejectsStored += s.reject.run(r.source, r.reason, r.raw, r.key).changes);
    /** @type {import('./sqlite-core.js').CoreOutcome['conflicts']} */
    const conflicts = [];
    /** @type {import('./sqlite-core.js').CoreOutcome['idConflicts']} */
    const idConflicts = [];
    /**
     * A conflict reject, inserted now and pushed to `list`.
     * @param {unknown[]} values @param {number} i @param {string} reason @param {import('./sqlite-core.js').CoreReject[]} list
     */
    const refuse = (values, i, reason, list) => {
      const source = batch.sources[i] ?? '';
      const raw = String(values[init.rawIndex]);
      const conflict = { source, reason, raw, key: rejectKey(source, reason, raw) };
      reject(conflict);
      list.push(conflict);
    };
    forEachRow(batch.events, (values, i) => {
      try {
        // ON CONFLICT(event_id) DO NOTHING: a resend changes nothing.
        // Values spread as arguments, not passed as one array: better-sqlite3
        // reads an array's elements through v8::Object::Get, one lookup per
        // cell, and arguments directly: 20% fewer instructions per insert
        // on the events table, 56.5k -> 44.9k per row
        // (bench/sqlite-bind-instructions.mjs under callgrind).
        if (s.event.run(...values, ingestedAt).changes === 1) inserted++;
        else {
          // The event_id is stored: a duplicate when it holds the same event (same-event.js), else evidence.
          const eventId = String(values[init.eventIdIndex]);
          if (sameEvent(String(s.stored.get(eventId)), String(values[init.rawIndex]), init.transportFields)) duplicates++;
          else refuse(values, i, idConflictReason(eventId), idConflicts);
        }
      } catch (err) {
        // Only the (chain_id, seq) unique index can still fail; SQLite undoes
        // that one statement (ABORT) and the transaction continues.
        if (/** @type {any} */ (err).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
        const ev = { eventId: String(values[init.eventIdIndex]), chainId: /** @type {string | null} */ (values[init.chainIdIndex]), seq: /** @type {number | null} */ (values[init.seqIndex]) };
        const holder = s.holder.get(ev.chainId, ev.seq);
        refuse(values, i, conflictReason(ev, holder?.event_id), conflicts);
      }
    });
    for (const r of batch.rejects) reject(r);
    return { inserted, duplicates, conflicts, idConflicts, rejectsStored };
  });

  return {
    migrate({ plan, tables }) {
      // The plan (tables, then per table its missing columns and indexes), then the tables'
      // columns as they now are, in one IMMEDIATE transaction: a second
      // process migrating waits for it, and what the caller checks for drift
      // (schema drift.ts) is what the DDL left.
      const found = db.transaction(() => {
        for (const sql of plan.tables) db.exec(sql);
        for (const sql of statementsAfterTables(plan, describe(tables).columns)) db.exec(sql);
        return describe(tables);
      }).immediate();
      stmts = undefined;
      return found;
    },
    describe(tables) {
      return db.transaction(() => describe(tables)).deferred();
    },
    write(batch) {
      return write.immediate(batch);
    },
    close() {
      db.close();
    },
  };
}
