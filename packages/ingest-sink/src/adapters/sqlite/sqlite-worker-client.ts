import { Worker } from 'node:worker_threads';
import { dbError, SinkError } from '../../sink/errors.js';
import { transferables } from '../../rows/packed-rows.js';
import type { FoundTables } from '@audit-trail/schema';
import type { CoreBatch, CoreMigration, CoreOutcome, SqliteCoreInit } from './sqlite-core.js';

type Reply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: { message: string; code?: string } };
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * Young generation of the writer thread's V8 heap, in MiB (Node's
 * `resourceLimits.maxYoungGenerationSizeMb`; V8's own default lets it grow to
 * 48). What the thread allocates dies within one transaction (each batch's
 * texts and cell slices), so a small young generation costs it nothing, and
 * the receiver's peak RSS falls by 9-11 MB (bench/receiver.ts, SQLite
 * scenario, alternating runs: 169-172 MB against 181-184 MB, throughput
 * within noise).
 */
export const WORKER_YOUNG_GENERATION_MB = 4;

/** src/sqlite-worker.js in development, dist/sqlite-worker.js when built. */
function workerUrl(): URL {
  // This module is bundled into dist/index.js, two levels up in src/.
  const here = import.meta.url;
  return /\/src\/adapters\/sqlite\/[^/]+$/.test(here) ? new URL('../../sqlite-worker.js', here) : new URL('./sqlite-worker.js', here);
}

/**
 * The SQLite core in a worker thread. Requests are numbered; the worker
 * answers in order. If the worker dies (a native fault, an exit, an
 * out-of-memory termination), every pending request fails, which the sink
 * retries (nothing leaves the spool before a commit reply), and the next
 * request starts a new worker: a crashed writer thread never wedges the sink.
 */
export class SqliteWorkerClient {
  private next = 1;
  private pending = new Map<number, Pending>();
  private worker: Worker | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;
  /** Workers started after the first one died. */
  restarts = 0;

  private constructor(private readonly init: SqliteCoreInit) {}

  /** Starts the worker and waits until it has opened the database. */
  static async start(init: SqliteCoreInit): Promise<SqliteWorkerClient> {
    const client = new SqliteWorkerClient(init);
    await client.spawn();
    return client;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(workerUrl(), { workerData: this.init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.worker = worker;
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      // The worker keeps the process alive only while a request is pending.
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(dbError('sqlite', m.error));
    });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new SinkError('SINK_DB', `sqlite worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new SinkError('SINK_DB', `sqlite worker exited (${code})`)));
    // Reply 0 comes once the worker has opened the database; a worker that
    // could not open it is ended, so the next call starts afresh.
    return this.reply(worker, 0).then(
      () => undefined,
      async (err: Error) => {
        fail(err);
        await worker.terminate();
        throw err;
      },
    );
  }

  /** The promise of reply `id` from `worker` (which stays referenced until it comes). */
  private reply(worker: Worker, id: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
    });
  }

  /** Posts request `op` to `worker`; resolves with its reply. */
  private request(worker: Worker, op: string, arg: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.next++;
    const answered = this.reply(worker, id);
    worker.postMessage({ id, op, arg }, transfer);
    return answered;
  }

  private async call(op: string, arg: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (!this.worker && !this.closed) {
      if (!this.starting) {
        this.restarts++;
        this.starting = this.spawn().finally(() => (this.starting = undefined));
      }
      await this.starting;
    }
    // Checked after the start too: close() or a fresh worker's death may have come in between.
    if (this.closed) throw new SinkError('SINK_CLOSED', 'the SQLite worker is closed');
    if (!this.worker) throw new SinkError('SINK_DB', 'sqlite worker exited while starting');
    return this.request(this.worker, op, arg, transfer);
  }

  migrate(arg: CoreMigration): Promise<FoundTables> {
    return this.call('migrate', arg) as Promise<FoundTables>;
  }

  describe(tables: string[]): Promise<FoundTables> {
    return this.call('describe', tables) as Promise<FoundTables>;
  }

  write(batch: CoreBatch): Promise<CoreOutcome> {
    // The packed rows' typed arrays move to the worker instead of being copied.
    return this.call('write', batch, transferables(batch.events)) as Promise<CoreOutcome>;
  }

  async close(): Promise<void> {
    this.closed = true;
    // The current worker only: a dead one is not restarted just to be closed.
    const worker = this.worker;
    if (!worker) return;
    await this.request(worker, 'close', undefined).catch(() => undefined);
    await worker.terminate();
  }
}
