// @ts-check
// Plain JavaScript on purpose: this module runs inside a worker_thread, which
// cannot load TypeScript sources in development. Types: sqlite-core.d.ts.
// All SQL comes from the TypeScript side (generated from @audit-trail/schema).
import { conflictReason } from '../conflict-reason.js';

/**
 * Opens the database and prepares the statements of one sink.
 * Pragmas: WAL with synchronous=FULL (better-sqlite3's bundled default is
 * NORMAL, which can lose the last commits on power loss: docs/performance.md),
 * and a larger WAL autocheckpoint.
 * @param {any} Database better-sqlite3's constructor
 * @param {import('./sqlite-core.js').SqliteCoreInit} init
 * @returns {import('./sqlite-core.js').SqliteCore}
 */
export function openSqliteCore(Database, init) {
  const db = new Database(init.filename, { timeout: init.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: the sink's
  // batches are 5000 rows (~8 MB of pages), so the default checkpointed at
  // every commit, rewriting the same hot index pages into the database file
  // each time. Fewer, larger checkpoints: ~71k -> ~80k rows/s on the bench
  // table (bench/sink-sqlite-paths.ts). Durability is unchanged (a commit is
  // durable once its WAL frames are fsynced; synchronous=FULL).
  db.pragma('wal_autocheckpoint = 10000');
  /** @type {any} */
  let stmts;
  const prepare = () => {
    stmts ??= {
      event: db.prepare(init.insertEventSql),
      reject: db.prepare(init.insertRejectSql),
      holder: db.prepare(init.holderSql),
    };
    return stmts;
  };
  /** better-sqlite3 binds numbers, strings, bigints, buffers and null only (no booleans). */
  const bind = (/** @type {unknown[]} */ values) => {
    for (let i = 0; i < values.length; i++) if (typeof values[i] === 'boolean') return values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
    return values;
  };

  const write = db.transaction((/** @type {import('./sqlite-core.js').CoreBatch} */ batch) => {
    const s = prepare();
    let inserted = 0;
    let duplicates = 0;
    /** @type {import('./sqlite-core.js').CoreOutcome['conflicts']} */
    const conflicts = [];
    const events = batch.events;
    for (let i = 0; i < events.length; i++) {
      const values = events[i];
      try {
        // ON CONFLICT(event_id) DO NOTHING: a resend changes nothing.
        if (s.event.run(bind(values)).changes === 1) inserted++;
        else duplicates++;
      } catch (err) {
        // Only the (chain_id, seq) unique index can still fail; SQLite undoes
        // that one statement (ABORT) and the transaction continues.
        if (/** @type {any} */ (err).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
        const ev = { eventId: String(values[init.eventIdIndex]), chainId: /** @type {string | null} */ (values[init.chainIdIndex]), seq: /** @type {number | null} */ (values[init.seqIndex]) };
        const holder = s.holder.get(ev.chainId, ev.seq);
        const reject = { source: batch.sources[i] ?? '', reason: conflictReason(ev, holder?.event_id), raw: String(values[init.rawIndex]) };
        s.reject.run(reject.source, reject.reason, reject.raw);
        conflicts.push(reject);
      }
    }
    for (const r of batch.rejects) s.reject.run(r.source, r.reason, r.raw);
    return { inserted, duplicates, conflicts };
  });

  return {
    migrate(statements) {
      db.transaction(() => {
        for (const sql of statements) db.exec(sql);
      })();
      stmts = undefined;
    },
    write(batch) {
      return write.immediate(batch);
    },
    close() {
      db.close();
    },
  };
}
