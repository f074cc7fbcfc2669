import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, ndjsonRecords, verifyChain, verifyChainStream, verifyChainTwoPass, type VerifyKeys, type VerifyOptions, type VerifyRecord } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { SECRET } from './helpers.js';

const keys = { k1: { secret: SECRET } };

/** The three verifiers, called alike (the two-pass one reads `records` twice); each returns a promise. */
const verifiers: Record<string, (records: unknown, keys: unknown, options?: unknown) => Promise<unknown>> = {
  verifyChain: async (r, k, o) => verifyChain(r as VerifyRecord[], k as VerifyKeys, o as VerifyOptions),
  verifyChainStream: (r, k, o) => verifyChainStream(r as VerifyRecord[], k as VerifyKeys, o as VerifyOptions),
  verifyChainTwoPass: (r, k, o) => verifyChainTwoPass(() => r as VerifyRecord[], k as VerifyKeys, o as VerifyOptions),
};

describe.each(Object.entries(verifiers))('%s refuses misuse with AuditConfigError', (_name, verify) => {
  it('refuses keys that are not a Map or object of keys', async () => {
    await expect(verify([], null)).rejects.toThrowError(/^keys must be a Map or an object of kid -> \{ secret \} \| \{ privateKey \}, got null$/);
    await expect(verify([], { k1: null })).rejects.toThrowError(/^key "k1" must be \{ secret \} or \{ privateKey \}, got null$/);
    await expect(verify([], new Map([['k1', 'secret-text']]))).rejects.toThrowError(/^key "k1" must be \{ secret \} or \{ privateKey \}, got a string$/);
  });

  it('refuses options that are not an object, unknown option keys, and values of the wrong type', async () => {
    await expect(verify([], keys, null)).rejects.toThrowError(/^verify options must be an object, got null$/);
    await expect(verify([], keys, { checkorder: false })).rejects.toThrowError(/^unknown verify option "checkorder": did you mean "checkOrder"\?$/);
    await expect(verify([], keys, { asOf: '2020' })).rejects.toThrowError(/^asOf must be a valid Date, got a string$/);
    await expect(verify([], keys, { storedAsOf: 0 })).rejects.toThrowError(/^storedAsOf must be a valid Date, got 0$/);
    await expect(verify([], keys, { checkpointSlackMs: Number.NaN })).rejects.toThrowError(/^checkpointSlackMs must be a non-negative integer, got NaN$/);
    await expect(verify([], keys, { checkOrder: 'no' })).rejects.toThrowError(/^checkOrder must be true or false, got a string$/);
  });

  it('refuses an Invalid Date as asOf: it cannot judge anything, and a missing checkpoint then passes unseen', async () => {
    // An open chain whose last checkpoint is a year before asOf is CHECKPOINT_MISSING; an Invalid Date made it look clean.
    const open = (await signedChain({ events: 2 })).slice(0, -1);
    const later = new Date(Date.parse('2027-01-01T00:00:00Z'));
    expect(((await verify(ndjsonRecords(open.join('\n')), keys, { asOf: later })) as { ok: boolean }).ok).toBe(false);
    await expect(verify(ndjsonRecords(open.join('\n')), keys, { asOf: new Date('x') })).rejects.toThrowError(/^asOf must be a valid Date, got an Invalid Date$/);
  });

  it('refuses NDJSON text or bytes given as records (not one SCHEMA_INVALID per character), pointing to ndjsonRecords()', async () => {
    const text = (await signedChain({ events: 1 })).join('\n');
    await expect(verify(text, keys)).rejects.toThrowError(/^(records|read\(\)) is a string, not records: read NDJSON with ndjsonRecords\(text, name\)/);
    await expect(verify(Buffer.from(text), keys)).rejects.toThrowError(/^(records|read\(\)) are bytes, not records: .*iterateNdjson\(bytes, name\)/);
    await expect(verify(undefined, keys)).rejects.toThrowError(/must be an iterable of records \(\{ event, location\? \}\), got undefined$/);
  });

  it('refuses an item that is not a record, naming its position, rather than a TypeError', async () => {
    await expect(verify([null], keys)).rejects.toThrowError(/^input item 1 is not a record \(\{ event, location\? \}\): got null$/);
    const [first] = ndjsonRecords((await signedChain({ events: 1 })).join('\n'));
    await expect(verify([first, 'line'], keys)).rejects.toThrowError(/^input item 2 is not a record \(\{ event, location\? \}\): got a string \(NDJSON not yet split into records/);
    await expect(verify([JSON.parse(first!.event as string)], keys)).rejects.toThrowError(/^input item 1 is not a record \(\{ event, location\? \}\): got an object without "event"/);
  });
});

describe('verifyChainStream and verifyChainTwoPass misuse', () => {
  it('refuses a byte stream given as records, pointing to streamNdjson()', async () => {
    const stream = Readable.from([Buffer.from('{"log_type":"security_audit"}\n')]);
    const err = await verifyChainStream(stream as never, keys).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditConfigError);
    expect((err as Error).message).toMatch(/^input item 1 is not a record \(\{ event, location\? \}\): got bytes \(NDJSON not yet split into records: .*streamNdjson\(stream, name\)\)$/);
  });

  it('refuses a two-pass read that is not a function', async () => {
    await expect(verifyChainTwoPass([] as never, keys)).rejects.toThrowError(/^read must be a function returning the records \(called once per pass\), got an array$/);
  });
});
