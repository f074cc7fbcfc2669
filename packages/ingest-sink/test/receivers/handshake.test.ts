import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RecordingSink } from './helpers/recording-sink.js';

const sha512 = (...parts: (Buffer | string)[]) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

type Helo = ['HELO', { nonce: Uint8Array; auth: Uint8Array; keepalive: boolean }];

/** Builds the client's PING for a HELO (spec v1, "PING"), salt and fields as str or bin. */
function ping(helo: Helo, key: string, opts: { host?: string; user?: string; password?: string; asBin?: boolean } = {}) {
  const host = opts.host ?? 'client-host';
  const salt = Buffer.from('0123456789abcdef0123456789abcdef');
  const nonce = Buffer.from(helo[1].nonce);
  const auth = Buffer.from(helo[1].auth);
  const user = opts.user ?? '';
  const pw = auth.length > 0 ? sha512(auth, user, opts.password ?? '') : '';
  const f = (s: string | Buffer) => (opts.asBin ? Buffer.from(s) : s.toString());
  return { bytes: Buffer.from(encode(['PING', f(host), f(salt), sha512(salt, host, nonce, key), f(user), pw])), salt, nonce };
}

const security = { selfHostname: 'aggregator', sharedKeys: ['old-key-0123456789', 'new-key-9876543210'] };

describe('forward handshake (HELO/PING/PONG, spec v1)', () => {
  it('sends HELO first with a 16-byte bin nonce, and accepts every active shared key (rotation)', async () => {
    for (const key of security.sharedKeys) {
      const sink = new RecordingSink();
      const { conn, transport, counters } = fakeConnection(sink, { security });
      const [helo] = transport.messages() as [Helo];
      expect(helo[0]).toBe('HELO');
      expect(helo[1].nonce).toBeInstanceOf(Uint8Array);
      expect(helo[1].nonce.length).toBe(16);
      expect(helo[1].auth.length).toBe(0);
      expect(helo[1].keepalive).toBe(true);
      const p = ping(helo, key, { asBin: key.startsWith('new') });
      conn.feed(p.bytes);
      const pong = transport.messages()[1] as unknown[];
      expect(pong).toEqual(['PONG', true, '', 'aggregator', sha512(p.salt, 'aggregator', p.nonce, key)]);
      conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'c'));
      await conn.drain();
      expect(transport.messages()[2]).toEqual({ ack: 'c' });
      expect(counters.authFailures).toBe(0);
    }
  });

  it('refuses a wrong shared key with PONG false and closes without reading data', async () => {
    const sink = new RecordingSink();
    const budget = { used: 0 };
    const { conn, transport, counters, logs } = fakeConnection(sink, { security, budget });
    const [helo] = transport.messages() as [Helo];
    conn.feed(Buffer.concat([ping(helo, 'wrong').bytes, dockerMessage('t', 1, dockerRecord(makeLine(1)), 'c')]));
    await conn.drain();
    expect(budget.used).toBe(0);
    expect(transport.messages()[1]).toEqual(['PONG', false, 'shared_key mismatch', '', '']);
    expect(transport.ended).toBe(true);
    expect(sink.items).toHaveLength(0);
    expect(counters.authFailures).toBe(1);
    expect(JSON.stringify(logs)).not.toContain('old-key');
  });

  it('refuses a client that uses the server hostname (in_forward rule)', () => {
    const { conn, transport } = fakeConnection(new RecordingSink(), { security });
    const [helo] = transport.messages() as [Helo];
    conn.feed(ping(helo, security.sharedKeys[0]!, { host: 'aggregator' }).bytes);
    expect((transport.messages()[1] as unknown[])[1]).toBe(false);
  });

  it('checks username and password digests over the HELO auth salt', () => {
    const users = { alice: 'correct horse' };
    for (const [password, ok] of [['correct horse', true], ['wrong', false]] as const) {
      const { conn, transport } = fakeConnection(new RecordingSink(), { security: { ...security, users } });
      const [helo] = transport.messages() as [Helo];
      expect(helo[1].auth.length).toBe(16);
      conn.feed(ping(helo, security.sharedKeys[0]!, { user: 'alice', password }).bytes);
      const pong = transport.messages()[1] as unknown[];
      expect(pong[1]).toBe(ok);
      if (!ok) expect(pong[2]).toBe('username/password mismatch');
    }
  });

  it('rejects a malformed PING (wrong arity) as HANDSHAKE_INVALID', () => {
    const { conn, transport, counters } = fakeConnection(new RecordingSink(), { security });
    conn.feed(Buffer.from(encode(['PING', 'h'])));
    expect(transport.ended).toBe(true);
    expect(counters.badFramesByCode.HANDSHAKE_INVALID).toBe(1);
  });

  it('before authentication, refuses anything larger than a PING (4 KiB) at its header, so an unauthenticated client cannot hold the shared byte budget', () => {
    const budget = { used: 0 };
    const { conn, transport, counters } = fakeConnection(new RecordingSink(), { security, budget });
    // The start of a 1 MiB "PING" (well under the 32 MiB request limit): array header, 'PING', then a str32 header announcing 1 MiB.
    conn.feed(Buffer.concat([Buffer.from([0x96]), Buffer.from(encode('PING')), Buffer.from([0xdb, 0x00, 0x10, 0x00, 0x00]), Buffer.alloc(1000, 0x61)]));
    expect(transport.ended).toBe(true);
    expect(counters.badFramesByCode.REQUEST_TOO_LARGE).toBe(1);
    expect(budget.used).toBe(0);
  });
});
