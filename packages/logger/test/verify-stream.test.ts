import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, iterateNdjson, streamNdjson, verifyChain, verifyChainStream, type VerifyRecord } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { SECRET } from './helpers.js';
import { prngInt } from '../../../test/support/prng.js';

const keys = { k1: { secret: SECRET } };

/** `bytes` cut into chunks of random sizes (1 byte up to the whole), as a file or a socket delivers them. */
function chunked(bytes: Buffer, rand: (n: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + rand(rand(4) === 0 ? bytes.length : 64);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function collect(records: AsyncIterable<VerifyRecord>): Promise<VerifyRecord[]> {
  const out: VerifyRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

describe('streamNdjson (seeded)', () => {
  it('reads the same records as iterateNdjson over the whole bytes, however they are chunked: CRLF, blank lines, no final LF, bytes that are not UTF-8 split across chunks', async () => {
    const rand = prngInt(5150);
    const parts = ['{"a":1}', '', '  ', '{"b":"é ü 𝄞"}', '{"c":"\u2028"}', 'not json', '{"d":2}\r'];
    for (let round = 0; round < 300; round++) {
      const lines: Buffer[] = [];
      for (let i = 0, n = 1 + rand(12); i < n; i++) {
        let line = Buffer.from(parts[rand(parts.length)]!);
        // Invalid UTF-8: a lone continuation byte, a cut 4-byte sequence, an overlong form.
        if (rand(4) === 0) line = Buffer.concat([line, [Buffer.from([0x80]), Buffer.from([0xf0, 0x9d, 0x84]), Buffer.from([0xc0, 0xaf])][rand(3)]!]);
        lines.push(line);
      }
      const bytes = Buffer.concat(lines.flatMap((l, i) => (i < lines.length - 1 || rand(2) === 0 ? [l, Buffer.from('\n')] : [l])));
      const whole = [...iterateNdjson(bytes, 'f')];
      const streamed = await collect(streamNdjson(Readable.from(chunked(bytes, rand)), 'f'));
      expect(streamed, `round ${round}`).toEqual(whole);
    }
  });
});

describe('verifyChainStream', () => {
  it('reports what verifyChain reports, for a clean chain and for one with a record deleted and one edited, from a stream in random chunks', async () => {
    const ls = await signedChain({ events: 40, checkpointAfter: 20 });
    const tampered = ls.filter((_, i) => i !== 7).map((l, i) => (i === 30 ? l.replace('user-', 'usEr-') : l));
    const rand = prngInt(77);
    for (const input of [ls, tampered]) {
      const bytes = Buffer.from(`${input.join('\n')}\n`);
      const sync = verifyChain(iterateNdjson(bytes, 'f'), keys);
      const streamed = await verifyChainStream(streamNdjson(Readable.from(chunked(bytes, rand)), 'f'), keys);
      expect(streamed).toEqual(sync);
    }
    expect((await verifyChainStream(streamNdjson(Readable.from([Buffer.from(tampered.join('\n'))]), 'f'), keys)).findings.map((f) => f.code).sort()).toEqual(['MAC_INVALID', 'SEQ_GAP']);
  });

  it('ignores a UTF-8 byte order mark at the start of a file, in every reader, as ingest does; one anywhere else is the edit it is', async () => {
    const ls = await signedChain({ events: 5 });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${ls.join('\n')}\n`)]);
    expect(verifyChain(iterateNdjson(withBom, 'f'), keys)).toMatchObject({ ok: true, findings: [] });
    expect(verifyChain(iterateNdjson(withBom.toString('utf8'), 'f'), keys)).toMatchObject({ ok: true, findings: [] });
    // Not valid UTF-8 elsewhere in the file: the byte-by-byte path.
    const alsoBad = Buffer.concat([withBom, Buffer.from([0xff, 0x0a])]);
    expect(verifyChain(iterateNdjson(alsoBad, 'f'), keys).findings.every((f) => !f.message.includes('f:1'))).toBe(true);
    expect(await verifyChainStream(streamNdjson(Readable.from(chunked(withBom, prngInt(3))), 'f'), keys)).toMatchObject({ ok: true, findings: [] });
    const bomInside = `${ls[0]}\n\uFEFF${ls.slice(1).join('\n')}\n`;
    expect(verifyChain(iterateNdjson(bomInside, 'f'), keys).ok).toBe(false);
  });

  it('reports a line over the reader\'s limit whatever its start holds: a record after 65 MiB of spaces is not dropped as a blank line (found by a review)', async () => {
    const ls = await signedChain({ events: 3 });
    // The third record, hidden at the end of one very long line.
    const long = Buffer.concat([Buffer.alloc(65 * 1024 * 1024, 0x20), Buffer.from(ls[2]!)]);
    const chunks = [Buffer.from(`${ls[0]}\n${ls[1]}\n`), ...Array.from({ length: Math.ceil(long.length / (1 << 20)) }, (_, i) => long.subarray(i << 20, (i + 1) << 20)), Buffer.from(`\n${ls.slice(3).join('\n')}\n`)];
    const r = await verifyChainStream(streamNdjson(Readable.from(chunks), 'big.ndjson'), keys);
    const cut = r.findings.find((f) => f.code === 'SCHEMA_INVALID');
    expect(cut).toMatchObject({ location: 'big.ndjson:3', message: `line of ${long.length} bytes exceeds the reader's limit of ${64 * 1024 * 1024}: not verified, nor any record in it` });
    expect(r.findings.map((f) => f.code).sort()).toEqual(['SCHEMA_INVALID', 'SEQ_GAP']);
  });

  it('refuses unusable keys and options before reading the first record', async () => {
    let read = 0;
    async function* records(): AsyncGenerator<VerifyRecord> {
      read++;
      yield { event: '{}' };
    }
    await expect(verifyChainStream(records(), { k1: { secret: 'short' } })).rejects.toBeInstanceOf(AuditConfigError);
    await expect(verifyChainStream(records(), keys, { settleMs: -1 })).rejects.toBeInstanceOf(AuditConfigError);
    expect(read).toBe(0);
  });

  it('skips the plain text of other programs in a stream (docker logs of a service), with invalid UTF-8 too, and still reports a torn record', async () => {
    const ls = await signedChain({ events: 3 });
    const text = ['Server listening on :3000', ...ls.slice(0, 3), 'GET /health 200 1ms', ...ls.slice(3)].join('\n');
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from('\nstack trace \xff\xfe\n', 'latin1')]);
    const clean = await verifyChainStream(streamNdjson(Readable.from([bytes]), 'f'), keys);
    expect(clean.findings).toEqual([]);
    expect(clean.ignored).toBe(3);
    const torn = await verifyChainStream(streamNdjson(Readable.from([Buffer.from(`${text}\n${ls[1]!.slice(0, 40)}\n`)]), 'f'), keys);
    expect(torn.findings.map((f) => [f.code, f.location])).toEqual([['SCHEMA_INVALID', `f:${ls.length + 3}`]]);
  });

  it("skips another program's JSON line whose `integrity` is not an object (a Subresource Integrity hash): it claims no chain position (found by a probe: SCHEMA_INVALID, exit 1 on a clean stream)", async () => {
    const ls = await signedChain({ events: 3 });
    const others = [JSON.stringify({ level: 30, msg: 'asset served', integrity: 'sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC' }), JSON.stringify({ integrity: null, msg: 'x' })];
    const clean = await verifyChainStream(streamNdjson(Readable.from([Buffer.from([ls[0], others[0], ...ls.slice(1), others[1]].join('\n'))]), 'f'), keys);
    expect(clean.findings).toEqual([]);
    expect(clean.ignored).toBe(2);
    // A signed record whose integrity was made a string is no longer in its chain: its seq is missing.
    const hidden = ls.map((l, i) => (i === 2 ? JSON.stringify({ ...JSON.parse(l), integrity: 'x', log_type: undefined }) : l));
    const gap = await verifyChainStream(streamNdjson(Readable.from([Buffer.from(hidden.join('\n'))]), 'f'), keys);
    expect(gap.findings.map((f) => f.code)).toContain('SEQ_GAP');
  });
});
