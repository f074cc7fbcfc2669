import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeServerStreamByteSafe } from './byte-safe-decoder.js';

/** msgpack `["HELO", {nonce: <str of the given bytes>}]`. */
function heloWithStrNonce(nonce: Buffer): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
  return Buffer.concat([Buffer.from([0x92]), str('HELO'), Buffer.from([0x81]), str('nonce'), Buffer.from([0xa0 | nonce.length]), nonce]);
}

async function firstMessage(bytes: Buffer): Promise<unknown> {
  for await (const m of decodeServerStreamByteSafe(Readable.from([bytes]))) return m;
  return undefined;
}

describe('byte-safe decoding of what a forward server sends', () => {
  it('keeps every byte of a nonce that is valid UTF-8 starting with EF BB BF: a BOM is data here, and dropping it failed the shared_key login', async () => {
    const nonce = Buffer.from('efbbbf414243444546474849505152', 'hex');
    const [, opts] = (await firstMessage(heloWithStrNonce(nonce))) as [string, { nonce: string | Buffer }];
    expect(Buffer.from(opts.nonce)).toEqual(nonce);
  });

  it('keeps a nonce that is not UTF-8 as its bytes, and one that is as the same string', async () => {
    const raw = Buffer.from('ff00c3284142434445464748495051', 'hex');
    expect(((await firstMessage(heloWithStrNonce(raw))) as [string, { nonce: Buffer }])[1].nonce).toEqual(raw);
    expect(((await firstMessage(heloWithStrNonce(Buffer.from('plain-nonce')))) as [string, { nonce: string }])[1].nonce).toBe('plain-nonce');
  });
});
