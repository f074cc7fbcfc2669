import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSink, startAggregator, type Aggregator, type AggregatorOptions, type Sink } from '../../../src/index.js';

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'at-recv-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real sink on a SQLite file in `dir`, with extra `createSink` options (`spool` ones merged). */
export async function sqliteSink(dir: string, extra: { spool?: Record<string, unknown> } & Record<string, unknown> = {}) {
  const file = join(dir, 'audit.db');
  const sink = createSink({ url: `sqlite:${file}`, ...extra, spool: { dir: join(dir, 'spool'), ...extra.spool } });
  await sink.ready;
  return { sink, file };
}

/** Rows of the events table (read-only connection). */
export function readEvents(file: string): { event_id: string; source_tag: string | null; swarm_node: string | null; container_id: string | null; container_name: string | null; k8s_namespace: string | null; k8s_pod: string | null; syslog_host: string | null; event_type: string; event_json: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM security_audit_events ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

/** Rows of the rejects table. */
export function readRejects(file: string): { source: string; reason: string; raw_payload: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM security_audit_rejects ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

/** A running aggregator on the real sink over a SQLite file in a temporary directory. */
export interface AggregatorOnSqlite {
  agg: Aggregator;
  sink: Sink;
  file: string;
  dir: string;
  /** Closes the aggregator, then the sink, then removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts `startAggregator(options)` on the real sink over a fresh SQLite file:
 * the set-up every receiver test over real sockets shares. `prepare` runs in
 * the new directory first (e.g. to build a client binary there).
 */
export async function aggregatorOnSqlite(options: Omit<AggregatorOptions, 'sink'>, prepare?: (dir: string) => void): Promise<AggregatorOnSqlite> {
  const tmp = tempDir();
  prepare?.(tmp.dir);
  const { sink, file } = await sqliteSink(tmp.dir);
  const agg = await startAggregator({ sink, ...options });
  return {
    agg,
    sink,
    file,
    dir: tmp.dir,
    async stop() {
      await agg.close();
      await sink.close();
      tmp.remove();
    },
  };
}
