import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { PartialJournal } from '../../src/normalize/partial-journal.js';
import { startAggregator } from '../../src/receivers/aggregator.js';
import { Spool } from '../../src/spool/spool.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { longLine } from './helpers/events.js';
import { buildGoSender } from './helpers/go-sender.js';
import { RawClient } from './helpers/raw-client.js';
import { readEvents, readRejects, tempDir } from './helpers/real-sink.js';
import { killAllServe, spawnServe, type ServeProcess } from './helpers/serve-process.js';

const TAG = 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8';
const PIECE = 16 * 1024;

/** The Docker driver's client (fluent-logger-golang) sending one line, pausing after piece `pauseAfter` until told to go on. */
class DriverSender {
  readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(bin: string, port: number, pauseAfter: number) {
    this.child = spawn(bin, [String(port), 'ack', 'subsec', TAG, `pause:${pauseAfter}`]);
    this.child.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves once stdout holds `text` (fails after 20 s, with what the sender said). */
  async waitFor(text: string): Promise<void> {
    for (let i = 0; i < 2000 && !this.out.includes(text); i++) {
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!this.out.includes(text)) throw new Error(`sender never printed "${text}"; stdout: ${this.out} stderr: ${this.stderr}`);
  }

  get said(): string {
    return this.out;
  }
}

/** What the journal at `path` holds for the next start: how many pieces, and the stored lines it remembers (their numbers of pieces). */
async function journalLeft(path: string): Promise<{ pieces: number; stored: number[] }> {
  const { journal, report } = await PartialJournal.open(path);
  await journal.close();
  return { pieces: report.pieces.length, stored: report.stored.map((l) => l.digests.length) };
}

describe('Docker partial lines: pieces acked before their line is complete survive the aggregator', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bin: string;
  beforeAll(() => {
    tmp = tempDir();
    bin = buildGoSender(tmp.dir);
  }, 120_000);
  afterAll(() => {
    killAllServe();
    tmp.remove();
  });

  async function run(stop: 'SIGKILL' | 'SIGTERM', name: string) {
    const port = await freePort();
    const db = join(tmp.dir, `${name}.db`);
    const args = ['--db', `sqlite:${db}`, '--forward', `127.0.0.1:${port}`, '--health', 'off'];
    let server: ServeProcess = await spawnServe(args);
    const { line, event } = longLine(stop === 'SIGKILL' ? 1 : 2);
    const bytes = Buffer.from(line, 'utf8');
    expect(bytes.length).toBeGreaterThan(2 * PIECE);
    // The cut after the first piece falls inside a character (a UTF-8 continuation byte follows it).
    expect(bytes[PIECE]! & 0xc0).toBe(0x80);

    const sender = new DriverSender(bin, port, 2);
    sender.child.stdin.write(`${line}\n`);
    await sender.waitFor('paused');
    expect(sender.said).toContain('sent 1\nsent 2\n');
    server.child.kill(stop);
    expect(await server.exited).toBe(stop === 'SIGKILL' ? 'SIGKILL' : 0);

    server = await spawnServe(args);
    if (stop === 'SIGKILL') expect(server.lines.find((l) => l.msg === 'partial lines restored from the journal')).toMatchObject({ pieces: 2 });
    // The sender goes on with the last piece: its connection is gone, so it reconnects (and resends).
    sender.child.stdin.end('go on\n');
    await sender.waitFor('sent 3');
    expect(await sender.exited).toBe(0);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const rows = readEvents(db);
    expect(rows).toHaveLength(1);
    // Byte for byte: the characters cut at the piece boundaries came back whole (no U+FFFD).
    expect(JSON.parse(rows[0]!.event_json)).toEqual(event);
    expect(rows[0]).toMatchObject({ container_name: 'webauthn-api.1.k3j4h5g6f7d8', source_tag: TAG, swarm_node: 'node-1' });
    expect(readRejects(db)).toEqual([]);
    // Settled: no piece left for the next start, the stored line remembered (its 3 pieces).
    const journal = join(`${db}.spool`, 'partial-lines.journal');
    expect(existsSync(journal)).toBe(true);
    expect(await journalLeft(journal)).toEqual({ pieces: 0, stored: [3] });
  }

  it('SIGKILL between the pieces of a line: the acked pieces come back from the journal, the line is stored whole, once', async () => {
    await run('SIGKILL', 'kill');
  }, 90_000);

  it('a graceful restart between the pieces of a line keeps them for the rest (not stored cut short)', async () => {
    await run('SIGTERM', 'term');
  }, 90_000);

  it('a crash after a line was stored but before its pieces were settled stores it again as the duplicate it is: no reject, no second row', async () => {
    const db = join(tmp.dir, 'settle.db');
    const url = `sqlite:${db}`;
    const { line } = longLine(3);
    const bytes = Buffer.from(line, 'utf8');
    const meta = { source_tag: TAG };
    const pieces = [0, 1, 2].map((i) => ({ key: 'c/p', ordinal: i + 1, last: i === 2, bytes: bytes.subarray(i * PIECE, (i + 1) * PIECE), meta, source: 'forward:127.0.0.1' }));
    // The line is in the database, and its three pieces in the journal without their done mark.
    const first = await startAggregator({ sink: url, forward: { port: 0 } });
    await first.sink.write([{ line, meta, source: 'forward:127.0.0.1' }]);
    await first.close();
    const path = join(`${db}.spool`, 'partial-lines.journal');
    const { journal } = await PartialJournal.open(path);
    await journal.record(pieces);
    await journal.close();

    const logs: Record<string, unknown>[] = [];
    const agg = await startAggregator({ sink: url, forward: { port: 0 }, log: (e) => logs.push(e) });
    expect(agg.counters.forward.partialsRestored).toBe(3);
    expect(agg.counters.forward.partialsReassembled).toBe(1);
    await agg.close();
    expect(logs.find((l) => l.msg === 'partial lines restored from the journal')).toMatchObject({ pieces: 3 });
    expect(readEvents(db)).toHaveLength(1);
    expect(readRejects(db)).toEqual([]);
    expect(await journalLeft(path)).toEqual({ pieces: 0, stored: [3] });
  });

  it('after a restart, the last piece of a line the earlier run stored, sent again (its ack lost as that run stopped), is taken for the resend it is: acked, nothing opened, no reject', async () => {
    const db = join(tmp.dir, 'resent-after-restart.db');
    const url = `sqlite:${db}`;
    const { line, event } = longLine(5);
    const half = Math.floor(line.length / 2);
    const piece = (o: 1 | 2, chunk: string) =>
      dockerMessage(TAG, 1700000000, dockerRecord(o === 1 ? line.slice(0, half) : line.slice(half), { partial_message: 'true', partial_id: 'across-restart', partial_ordinal: String(o), partial_last: String(o === 2) }), chunk);
    const first = await startAggregator({ sink: url, forward: { host: '127.0.0.1', port: 0 } });
    const a = await RawClient.open(first.forward.port);
    a.socket.write(piece(1, 'c1'));
    a.socket.write(piece(2, 'c2'));
    await a.waitFor(2 * 8);
    a.socket.destroy();
    await first.close();

    const second = await startAggregator({ sink: url, forward: { host: '127.0.0.1', port: 0 }, partials: { maxAgeMs: 300 } });
    const b = await RawClient.open(second.forward.port);
    b.socket.write(piece(2, 'c2'));
    await b.waitFor(8);
    expect(second.counters.forward).toMatchObject({ acks: 1, partialsResent: 1 });
    expect(second.partialLines()).toEqual({ open: 0, bytes: 0 });
    // Past its maxAgeMs and an expiry check: nothing was released.
    await new Promise((r) => setTimeout(r, 600));
    expect(second.counters.forward.partialsExpired).toBe(0);
    b.socket.destroy();
    await second.close();
    expect(readEvents(db).map((r) => r.event_id)).toEqual([event.event_id]);
    expect(readRejects(db)).toEqual([]);
  });

  it('close() ends within the sink\'s close bound while the database is down, the acked events kept in the spool (flush() had no bound: SIGTERM never ended serve)', async () => {
    const spool = join(tmp.dir, 'down-spool');
    const agg = await startAggregator({ sink: 'postgres://postgres@127.0.0.1:1/at_unreachable', sinkOptions: { spool: { dir: spool } }, forward: { host: '127.0.0.1', port: 0 } });
    const client = await RawClient.open(agg.forward.port);
    client.socket.write(dockerMessage(TAG, 1700000000, dockerRecord(longLine(6).line), 'c1'));
    await client.waitFor(8);
    client.socket.destroy();
    const t0 = Date.now();
    await agg.close();
    expect(Date.now() - t0).toBeLessThan(15_000);
    const reopened = await Spool.open({ dir: spool });
    expect(reopened.replayed).toHaveLength(1);
    await reopened.spool.close(false);
  }, 30_000);

  it('a line whose last piece never comes is stored, once its time is up, as a PARTIAL_LINE_EXPIRED reject holding the pieces that came, under their source', async () => {
    const db = join(tmp.dir, 'expire.db');
    const agg = await startAggregator({ sink: `sqlite:${db}`, forward: { host: '127.0.0.1', port: 0 }, partials: { maxAgeMs: 400 } });
    const { line } = longLine(4);
    const first = line.slice(0, PIECE);
    const client = await RawClient.open(agg.forward.port);
    client.socket.write(dockerMessage(TAG, 1700000000, dockerRecord(first, { partial_message: 'true', partial_id: 'never-finished', partial_ordinal: '1', partial_last: 'false' }), 'c1'));
    await client.waitFor(8);
    expect(agg.counters.forward.acks).toBe(1);
    expect(agg.partialLines()).toEqual({ open: 1, bytes: Buffer.byteLength(first) });
    for (let i = 0; i < 300 && agg.counters.forward.partialsExpired === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(agg.partialLines()).toEqual({ open: 0, bytes: 0 });
    client.socket.destroy();
    await agg.close();
    expect(readEvents(db)).toEqual([]);
    expect(readRejects(db)).toEqual([
      expect.objectContaining({ source: 'forward:127.0.0.1', raw_payload: first, reason: expect.stringMatching(/^PARTIAL_LINE_EXPIRED: .*\(partial_id never-finished\)$/) }),
    ]);
    expect(await journalLeft(join(`${db}.spool`, 'partial-lines.journal'))).toEqual({ pieces: 0, stored: [] });
  });

  it('refuses a line limit its journal could not hold, and limits that are not positive numbers, before it opens anything', async () => {
    await expect(startAggregator({ sink: `sqlite:${join(tmp.dir, 'never.db')}`, forward: { port: 0 }, partials: { maxLineBytes: 64 * 1024 * 1024 } })).rejects.toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID', message: expect.stringMatching(/maxLineBytes may be at most 16777216/) });
    await expect(startAggregator({ sink: `sqlite:${join(tmp.dir, 'never.db')}`, forward: { port: 0 }, partials: { maxAgeMs: Number.NaN } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: 'partials.maxAgeMs must be a whole number from 1 to 2147483647 (got NaN)' });
    expect(existsSync(join(tmp.dir, 'never.db'))).toBe(false);
  });
});
