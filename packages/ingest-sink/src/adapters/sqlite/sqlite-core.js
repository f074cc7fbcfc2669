// @ts-check
// Plain JavaScript on purpose: this module runs inside a worker_thread, which
// cannot load TypeScript sources in development. Types: sqlite-core.d.ts.
// All SQL comes from the TypeScript side (generated from @audit-trail/schema).
import { conflictReason } from '../conflict-reason.js';
import { forEachRow } from '../../rows/packed-rows.js';

/**
 * Pragmas of every sink connection, in order: WAL with synchronous=FULL
 * (better-sqlite3's bundled default is NORMAL, which can lose the last
 * commits on power loss: better-sqlite3's docs/performance.md), and a larger WAL
 * autocheckpoint: every ~40 MB of WAL instead of SQLite's 4 MB, because the
 * default checkpointed at nearly every commit of a sink batch, rewriting the
 * same hot index pages into the database file each time (~71k -> ~80k rows/s
 * on the bench table, bench/sink-sqlite-paths.ts). Durability is unchanged:
 * a commit is durable once its WAL frames are fsynced. bench/sink.ts opens
 * its comparison databases with the same list.
 */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'wal_autocheckpoint = 10000'];

/**
 * Opens the database with {@link SQLITE_PRAGMAS} and prepares the statements of one sink.
 * @param {any} Database better-sqlite3's constructor
 * @param {import('./sqlite-core.js').SqliteCoreInit} init
 * @returns {import('./sqlite-core.js').SqliteCore}
 */
export function openSqliteCore(Database, init) {
  const db = new Database(init.filename, { timeout: init.busyTimeoutMs });
  for (const p of SQLITE_PRAGMAS) db.pragma(p);
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
  const write = db.transaction((/** @type {import('./sqlite-core.js').CoreBatch} */ batch) => {
    const s = prepare();
    let inserted = 0;
    let duplicates = 0;
    /** @type {import('./sqlite-core.js').CoreOutcome['conflicts']} */
    const conflicts = [];
    forEachRow(batch.events, (values, i) => {
      try {
        // ON CONFLICT(event_id) DO NOTHING: a resend changes nothing.
        if (s.event.run(values).changes === 1) inserted++;
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
    });
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
