import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Decoder, decodeMulti, encode, ExtensionCodec } from '@msgpack/msgpack';

/** What the test receiver saw. */
export interface ReceiverLog {
  pings: { digestOk: boolean }[];
  records: { tag: string; record: Record<string, unknown> }[];
  acks: number;
}

const sha512 = (...parts: (string | Buffer)[]) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** msgpack `["HELO", {nonce, auth: "", keepalive: true}]` with the nonce as a str (Fluent Bit) or a bin (Fluentd). */
function helo(nonce: Buffer, as: 'str' | 'bin'): Buffer {
  const key = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
  return Buffer.concat([
    Buffer.from([0x92]),
    key('HELO'),
    Buffer.from([0x83]),
    key('nonce'),
    as === 'str' ? Buffer.from([0xa0 | nonce.length]) : Buffer.from([0xc4, nonce.length]),
    nonce,
    key('auth'),
    Buffer.from([0xa0]),
    key('keepalive'),
    Buffer.from([0xc3]),
  ]);
}

const anyExt = new ExtensionCodec();
anyExt.register({ type: 0, encode: () => null, decode: (data) => data });

/**
 * A minimal forward-protocol v1 server with shared_key auth, written for the
 * tests: it sends a HELO whose nonce is 16 random bytes as a msgpack str or
 * bin, checks the PING digest over the RAW nonce bytes, answers PONG, then
 * acks PackedForward/Forward/Message requests. The nonce always starts with
 * 0xff, which is never valid UTF-8.
 */
export async function startForwardReceiver(opts: {
  sharedKey: string;
  nonceAs: 'str' | 'bin';
  silent?: boolean;
  /**
   * After each request: 'ack-close' acks it then closes (Fluentd's deny_keepalive); 'close' closes
   * without an ack; 'ack-reset' acks the first and resets the connection at the next one, unacked
   * and not logged (a server closing with requests unread sends an RST).
   */
  thenClose?: 'ack-close' | 'close' | 'ack-reset';
}): Promise<{ port: number; log: ReceiverLog; close: () => Promise<void> }> {
  const log: ReceiverLog = { pings: [], records: [], acks: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (opts.silent) return;
    const nonce = Buffer.concat([Buffer.from([0xff]), randomBytes(15)]);
    socket.write(helo(nonce, opts.nonceAs));
    const decoder = new Decoder({ rawStrings: false, extensionCodec: anyExt, useBigInt64: false });
    let authed = false;
    let requests = 0;
    try {
      for await (const msg of decoder.decodeStream(socket)) {
        const m = msg as unknown[];
        if (!authed) {
          const [, host, salt, digest] = m as [string, string, string, string];
          const ok = digest === sha512(salt, host, nonce, opts.sharedKey);
          log.pings.push({ digestOk: ok });
          if (!ok) {
            socket.end(encodePong(false, 'shared key mismatch', '', ''));
            return;
          }
          authed = true;
          socket.write(encodePong(true, '', 'test-receiver', sha512(salt, 'test-receiver', nonce, opts.sharedKey)));
          continue;
        }
        if (opts.thenClose === 'ack-reset' && requests++ > 0) {
          socket.resetAndDestroy();
          return;
        }
        const [tag, entries, option] = m as [string, unknown, Record<string, unknown> | undefined];
        const list: unknown[] = entries instanceof Uint8Array ? [...decodeMulti(entries, { extensionCodec: anyExt })] : Array.isArray(entries) ? entries : [[entries, option]];
        for (const e of list) log.records.push({ tag, record: (e as [unknown, Record<string, unknown>])[1] });
        if (opts.thenClose === 'close') {
          socket.end();
          return;
        }
        if (option?.chunk) {
          socket.write(encodeMap({ ack: option.chunk as string }));
          log.acks++;
        }
        if (opts.thenClose === 'ack-close') {
          socket.end();
          return;
        }
      }
    } catch {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function encodePong(ok: boolean, reason: string, host: string, digest: string): Uint8Array {
  return encode(['PONG', ok, reason, host, digest]);
}
function encodeMap(m: Record<string, string>): Uint8Array {
  return encode(m);
}
