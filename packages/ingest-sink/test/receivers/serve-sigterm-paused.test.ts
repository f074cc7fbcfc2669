import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { makeLine } from './helpers/events.js';
import { entry, fixext8Time, fluentdPackedForward } from './helpers/frames.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from './helpers/real-sink.js';
import { killAllServe, spawnServe } from './helpers/serve-process.js';

afterAll(() => killAllServe());

describe('serve: SIGTERM while a forward connection is paused (backpressure)', () => {
  it('finishes its shutdown (sink closed, "shutdown complete") instead of exiting half-way', async () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 'audit.db');
      // No health endpoint and no syslog: the forward receiver is the last
      // thing the process waits for, so nothing else keeps its event loop alive.
      const serve = await spawnServe(['--db', `sqlite:${db}`, '--forward', `tcp://127.0.0.1:${await freePort()}`, '--health', 'off'], {}, tmp.dir);
      // Many requests at once, each asking for an ack: at most two are stored
      // at a time (maxInflightRequests), so the connection is paused when the
      // first ack arrives, with the rest still to read.
      const frames: Buffer[] = [];
      for (let r = 0; r < 400; r++) {
        const lines = Array.from({ length: 5 }, (_, j) => makeLine(r * 5 + j));
        frames.push(fluentdPackedForward('app', lines.map((l) => entry(fixext8Time(1700000000), { log: l })), `chunk-${r}`));
      }
      const client = connect(serve.started.forward.port, '127.0.0.1');
      client.on('error', () => {});
      const firstAck = new Promise<void>((resolve) => client.once('data', () => resolve()));
      client.write(Buffer.concat(frames));
      await firstAck;
      serve.child.kill('SIGTERM');
      const code = await serve.exited;
      client.destroy();
      const msgs = serve.lines.map((l) => l.msg);
      // Before, the paused socket held no active handle: once its requests
      // were acked, the forward receiver waited for it to close behind an
      // unref'd timer only, the event loop emptied, and the process exited 0
      // without closing the sink or logging "aggregator stopped".
      expect(msgs).toContain('aggregator stopped');
      expect(msgs).toContain('shutdown complete');
      expect(code).toBe(0);
      const conn = new Database(db, { readonly: true });
      const { n, d } = conn.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM security_audit_events').get() as { n: number; d: number };
      conn.close();
      expect(n).toBe(d);
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
