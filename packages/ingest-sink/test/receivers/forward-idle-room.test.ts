import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import type { ForwardServerOptions } from '../../src/receivers/forward/options.js';
import { startForwardServer } from '../../src/receivers/forward/server.js';
import { RecordNormalizer } from '../../src/normalize/record.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { makeLine } from './helpers/events.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { tempDir } from './helpers/real-sink.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { makeTestCerts } from './helpers/tls-certs.js';

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; !ok(); i++) {
    if (i > 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function forwardServer(options: Omit<ForwardServerOptions, 'port'>) {
  const counters = newCounters();
  const logs: ReceiverLogEntry[] = [];
  const sink = new RecordingSink();
  const normalizer = new RecordNormalizer({ tagTemplate: DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 1 << 20, maxOpen: 100, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 } }, counters);
  const server = await startForwardServer({ port: 0, ...options }, { sink, counters, normalizer, log: (e) => logs.push(e) });
  cleanups.push(() => server.close());
  return { server, counters, logs, sink };
}

/**
 * A peer that never closes its side and never sends (allowHalfOpen: our FIN
 * does not close it). Resolves once connected, with a promise of our idle FIN.
 */
async function silentPeer(open: () => Socket, ready: 'connect' | 'secureConnect') {
  const socket = open();
  socket.on('error', () => {});
  // Read (nothing comes but our FIN), so that 'end' is emitted.
  socket.resume();
  cleanups.push(() => void socket.destroy());
  const finned = new Promise<void>((r) => socket.once('end', () => r()));
  await new Promise<void>((r) => socket.once(ready, () => r()));
  return { socket, finned };
}

/** Sends one acked Docker message on a new connection; resolves with what the server answered before closing or acking. */
async function sendAcked(open: () => Socket, ready: 'connect' | 'secureConnect', chunk: string): Promise<string> {
  const socket = open();
  socket.on('error', () => {});
  cleanups.push(() => void socket.destroy());
  let got = '';
  const done = new Promise<void>((r) => {
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes(chunk)) r();
    });
    // Refused: closed (or, as this peer keeps its side open, only our FIN).
    socket.once('end', () => r());
    socket.once('close', () => r());
  });
  await new Promise<void>((r) => {
    socket.once(ready, () => r());
    socket.once('close', () => r());
  });
  if (!socket.destroyed) socket.write(dockerMessage('t', 1, dockerRecord(makeLine(1)), chunk));
  await done;
  return got;
}

// Since 88519fa an idle connection gets our FIN only, and stays open until
// its peer closes: one that never does held its slot for good, and
// maxConnections of them refused every new sender (found by a probe: three
// silent connections, with maxConnections 3, refused a fourth 3.5 idle
// periods later; so would 1024 quiet containers, or anyone, by default).
describe('forward receiver: at maxConnections, a connection idle past idleTimeoutMs makes room for a new one', () => {
  for (const tls of [false, true]) {
    it(`closes the quietest idle connection, and only it, to let a new sender in${tls ? ' (TLS)' : ''}`, async () => {
      const dir = tempDir();
      cleanups.push(() => dir.remove());
      const certs = tls ? makeTestCerts(dir.dir) : undefined;
      const { server, counters, logs } = await forwardServer({ limits: { maxConnections: 2, idleTimeoutMs: 200 }, ...(certs ? { tls: { cert: certs.serverCert, key: certs.serverKey } } : {}) });
      const port = server.address.port;
      // allowHalfOpen (a TLSSocket option the types leave out): our FIN does not close the client either.
      const open = certs ? () => tlsConnect({ port, host: '127.0.0.1', ca: certs.ca, allowHalfOpen: true } as ConnectionOptions) : () => connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      const ready = certs ? 'secureConnect' : 'connect';
      const first = await silentPeer(open, ready);
      const second = await silentPeer(open, ready);
      await first.finned;
      await second.finned;
      // Both have had our idle FIN; their peers never close.
      expect(await sendAcked(open, ready, 'room-1')).toContain('room-1');
      expect(counters.refusedConnections).toBe(0);
      // The quietest one made room (a peer that neither reads nor writes learns it only when it next writes).
      expect(logs.filter((e) => e.msg === 'closing idle forward connection to make room for a new one')).toEqual([
        expect.objectContaining({ level: 'info', limit: 2, peer: `127.0.0.1:${first.socket.localPort}` }),
      ]);
      await until('the idle connection to be gone', () => counters.activeConnections === 2);
    });
  }
});
