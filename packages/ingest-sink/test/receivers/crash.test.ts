import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { makeEvent } from './helpers/events.js';
import { entry, fixext8Time, fluentBitCompressed } from './helpers/frames.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from './helpers/real-sink.js';
import { killAllServe, spawnServe, type ServeProcess } from './helpers/serve-process.js';

/**
 * An out_forward-like sender: one chunk (request) at a time per connection,
 * waits for its ack; an unacked chunk is kept for resending (at-least-once).
 */
class ChunkSender {
  acked: string[][] = [];
  unacked: string[][] = [];
  private socket?: Socket;
  private buf = Buffer.alloc(0);
  private waiting?: (ok: boolean) => void;

  async connect(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve());
      s.on('data', (d: Buffer) => {
        this.buf = Buffer.concat([this.buf, d]);
        if (this.waiting) this.waiting(true);
      });
      s.on('close', () => this.waiting?.(false));
      s.on('error', (e) => reject(e));
      this.socket = s;
    });
  }

  /** Sends one chunk; true when acked with exactly its id. */
  async send(chunkId: string, lines: string[]): Promise<boolean> {
    const frame = fluentBitCompressed('swarm.audit.n1.api.t1', lines.map((l) => entry(fixext8Time(1700000000), { log: l })), chunkId);
    const expected = Buffer.concat([Buffer.from([0x81, 0xa3, 0x61, 0x63, 0x6b, 0xa0 | chunkId.length]), Buffer.from(chunkId)]);
    this.buf = Buffer.alloc(0);
    const ok = await new Promise<boolean>((resolve) => {
      this.waiting = (got) => {
        if (!got) resolve(false);
        else if (this.buf.length >= expected.length) resolve(this.buf.subarray(0, expected.length).equals(expected));
      };
      if (!this.socket || this.socket.destroyed) return resolve(false);
      this.socket.write(frame, (err) => err && resolve(false));
    });
    this.waiting = undefined;
    return ok;
  }

  close(): void {
    this.socket?.destroy();
  }
}

describe('crash: SIGKILL of the aggregator while clients send with ack', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => {
    killAllServe();
    tmp.remove();
  });

  it('keeps every acked event exactly once, and resent unacked events are not duplicated', async () => {
    const port = await freePort();
    const db = join(tmp.dir, 'audit.db');
    const args = ['--db', `sqlite:${db}`, '--forward', `127.0.0.1:${port}`, '--health', 'off'];
    let server: ServeProcess = await spawnServe(args);

    const chunks = Array.from({ length: 120 }, (_, c) => ({ id: `chunk-${c}`, lines: Array.from({ length: 50 }, (_, i) => JSON.stringify(makeEvent(c * 50 + i))) }));
    const senders = [new ChunkSender(), new ChunkSender(), new ChunkSender()];
    for (const s of senders) await s.connect(port);
    let next = 0;
    let ackedChunks = 0;
    let killed = false;
    const acked: typeof chunks = [];
    const unacked: typeof chunks = [];
    await Promise.all(
      senders.map(async (s) => {
        while (next < chunks.length) {
          const chunk = chunks[next++]!;
          if (killed) {
            unacked.push(chunk);
            continue;
          }
          const ok = await s.send(chunk.id, chunk.lines);
          (ok ? acked : unacked).push(chunk);
          if (ok && ++ackedChunks === 30 && !killed) {
            killed = true;
            server.child.kill('SIGKILL');
          }
        }
      }),
    );
    expect(await server.exited).toBe('SIGKILL');
    for (const s of senders) s.close();
    expect(acked.length).toBeGreaterThanOrEqual(30);
    expect(unacked.length).toBeGreaterThan(0);

    // Restart on the same database; the sender resends what was not acked (and, to be hostile, one acked chunk too).
    server = await spawnServe(args);
    const resender = new ChunkSender();
    await resender.connect(port);
    for (const chunk of [...unacked, acked[0]!]) expect(await resender.send(chunk.id, chunk.lines)).toBe(true);
    resender.close();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare('SELECT event_id, count(*) AS n FROM security_audit_events GROUP BY event_id').all() as { event_id: string; n: number }[];
    conn.close();
    const stored = new Map(rows.map((r) => [r.event_id, r.n]));
    const idOf = (line: string) => (JSON.parse(line) as { event_id: string }).event_id;
    for (const chunk of chunks) for (const line of chunk.lines) expect(stored.get(idOf(line))).toBe(1);
    expect(rows.length).toBe(chunks.length * 50);
  }, 120_000);
});
