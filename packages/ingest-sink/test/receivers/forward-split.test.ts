import { describe, expect, it } from 'vitest';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import { dockerMessage, dockerRecord, entry, ext8Time, fixext8Time, fluentBitCompressed, fluentBitForward, fluentdPackedForward } from './helpers/frames.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { prngInt } from '../../../../test/support/prng.js';


/**
 * A random sequence of forward-protocol requests as the real clients send
 * them (Docker's Message mode, Fluentd's PackedForward plain and gzip, Fluent
 * Bit's Forward mode and multi-member gzip, heartbeats), with the acks the
 * requests ask for.
 */
function requests(rand: (n: number) => number): { bytes: Buffer; lines: number; acks: string[] } {
  const parts: Buffer[] = [];
  const acks: string[] = [];
  let n = 0;
  const entries = (k: number) => Array.from({ length: k }, () => entry(rand(2) ? fixext8Time(1700000000 + rand(100), rand(1000)) : ext8Time(1700000000, 1), { log: makeLine(n++) }));
  for (let i = 0, count = 1 + rand(8); i < count; i++) {
    const chunk = `c${i}-${rand(1000)}`;
    const kind = rand(6);
    (globalThis as any).__kinds?.push(kind);
    switch (kind) {
      case 0:
        parts.push(dockerMessage(`abcdef01234${i % 10}`, 1700000000, dockerRecord(makeLine(n++)), chunk));
        break;
      case 1:
        parts.push(fluentdPackedForward(`swarm.audit.n${i}.api.t${i}`, entries(1 + rand(6)), `${chunk}\n`, rand(2) === 0));
        acks.push(`${chunk}\n`);
        continue;
      case 2:
        parts.push(fluentBitForward('fb', entries(1 + rand(4)), chunk, 0));
        break;
      case 3:
        parts.push(fluentBitCompressed('fbz', entries(1 + rand(9)), chunk, 1 + rand(3)));
        break;
      case 4:
        parts.push(Buffer.from([0xc0])); // heartbeat
        continue;
      default:
        parts.push(dockerMessage('noack', 1700000000, dockerRecord(makeLine(n++))));
        continue;
    }
    acks.push(chunk);
  }
  return { bytes: Buffer.concat(parts), lines: n, acks };
}

async function feed(bytes: Buffer, cuts: number[]) {
  const sink = new RecordingSink();
  const { conn, transport, counters, logs } = fakeConnection(sink);
  (globalThis as any).__logs = logs;
  let at = 0;
  for (const end of [...cuts, bytes.length]) {
    conn.feed(bytes.subarray(at, end));
    at = end;
  }
  await conn.drain();
  (globalThis as any).__last = { counters, logs: (conn as any) };
  return { items: sink.items.map((it) => ({ line: it.line, meta: it.meta })), acks: transport.messages().map((m) => (m as { ack: string }).ack), badFrames: counters.badFrames };
}

describe('forward connection: any split of the stream gives the same events and acks (seeded)', () => {
  it('decodes 300 random request sequences the same in one read and in reads cut at random', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prngInt(seed * 40503);
      (globalThis as any).__kinds = [];
      const { bytes, lines, acks } = requests(rand);
      const whole0 = await feed(bytes, []); if (whole0.items.length !== lines) console.log("KINDS", JSON.stringify((globalThis as any).__last.counters), JSON.stringify((globalThis as any).__logs), seed, (globalThis as any).__kinds, lines, whole0.items.length, whole0.acks, acks);
      const whole = await feed(bytes, []);
      expect(whole.items.map((it) => JSON.parse(it.line).user_id), `seed ${seed}`).toEqual(Array.from({ length: lines }, (_, i) => `user-${i}`));
      expect(whole.acks, `seed ${seed}`).toEqual(acks);
      expect(whole.badFrames, `seed ${seed}`).toBe(0);
      const cuts = [...new Set(Array.from({ length: 1 + rand(20) }, () => rand(bytes.length)))].sort((a, b) => a - b);
      expect(await feed(bytes, cuts), `seed ${seed}, cuts ${cuts.join(',')}`).toEqual(whole);
    }
  });
});
