import { Worker } from 'node:worker_threads';
import { SinkError } from '../../sink/errors.js';
import { transferables } from './packed-rows.js';
import type { CoreBatch, CoreOutcome, SqliteCoreInit } from './sqlite-core.js';

type Reply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: { message: string; code?: string } };

/**
 * The SQLite core in a worker thread. Requests are numbered; the worker
 * answers in order. If the worker dies, every pending request fails (the sink
 * retries; nothing is released from the spool before a commit reply).
 */
export class SqliteWorkerClient {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      // The worker keeps the process alive only while a request is pending.
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new SinkError('SINK_DB', `sqlite: ${m.error.message}`), { dbCode: m.error.code }));
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new SinkError('SINK_DB', `sqlite worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new SinkError('SINK_DB', `sqlite worker exited (${code})`)));
  }

  /** Starts the worker and waits until it has opened the database. */
  static async start(init: SqliteCoreInit): Promise<SqliteWorkerClient> {
    // src/sqlite-worker.js in development, dist/sqlite-worker.js when built:
    // this module is bundled into dist/index.js, two levels up in src/.
    const here = import.meta.url;
    const url = /\/src\/adapters\/sqlite\/[^/]+$/.test(here) ? new URL('../../sqlite-worker.js', here) : new URL('./sqlite-worker.js', here);
    const worker = new Worker(url, { workerData: init });
    const client = new SqliteWorkerClient(worker);
    await client.call('open', undefined, 0);
    return client;
  }

  private call(op: string, arg: unknown, id = this.next++, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      if (id !== 0) this.worker.postMessage({ id, op, arg }, transfer);
    });
  }

  migrate(statements: string[]): Promise<void> {
    return this.call('migrate', statements) as Promise<void>;
  }

  write(batch: CoreBatch): Promise<CoreOutcome> {
    // The packed rows' typed arrays move to the worker instead of being copied.
    return this.call('write', batch, this.next++, transferables(batch.events)) as Promise<CoreOutcome>;
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call('close', undefined).catch(() => undefined);
    await this.worker.terminate();
  }
}
