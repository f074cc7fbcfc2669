// @ts-check
// Worker-thread entry of the SQLite adapter (a tsup entry, so it sits next to
// index.js in dist/ exactly as it sits next to index.ts in src/). The main
// thread validates and spools; this thread runs the synchronous better-sqlite3
// transactions, so the event loop that receivers ack on is never blocked.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteCore } from './adapters/sqlite/sqlite-core.js';

const { default: Database } = await import('better-sqlite3');
/** @type {import('./adapters/sqlite/sqlite-core.js').SqliteCore | undefined} */
let core;
try {
  core = openSqliteCore(Database, workerData);
  parentPort?.postMessage({ id: 0, ok: true });
} catch (err) {
  parentPort?.postMessage({ id: 0, ok: false, error: { message: String(/** @type {Error} */ (err).message), code: /** @type {any} */ (err).code } });
}

parentPort?.on('message', (/** @type {{ id: number; op: 'migrate' | 'describe' | 'write' | 'close'; arg: any }} */ msg) => {
  try {
    if (!core) throw new Error('database is not open');
    let result;
    if (msg.op === 'migrate') result = core.migrate(msg.arg);
    else if (msg.op === 'describe') result = core.describe(msg.arg);
    else if (msg.op === 'write') result = core.write(msg.arg);
    else {
      core.close();
      core = undefined;
    }
    parentPort?.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, ok: false, error: { message: String(/** @type {Error} */ (err).message), code: /** @type {any} */ (err).code } });
  }
});
