import { describe, expect, it } from 'vitest';
import { generateSealingKeyPair } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { codes, SECRET, SECRET2, verifyLines } from './helpers.js';

const parse = (l: string) => JSON.parse(l) as Record<string, any>;

/** Edits user_id of the records at these indexes, as someone without the key would: their MACs no longer match. */
function editUsers(ls: string[], at: number[]): string[] {
  return ls.map((l, i) => (at.includes(i) ? l.replace('"user_id":"user-', '"user_id":"mallory-') : l));
}

/**
 * Editing the AUDIT_CHAIN_OPEN alone (its kid, or its chain.mode) must not
 * turn the verdict on the rest of the chain into a question about the
 * keyring: the records edited beside it were reported only as KEY_UNKNOWN
 * ("MACs of this chain were not checked"), each edit unlocated, although
 * their own kid's key was in the keyring (found by a probe).
 */
describe('an AUDIT_CHAIN_OPEN relabelled by someone without the key', () => {
  it('its kid renamed to one the keyring lacks: the other records are still checked with their own kid', async () => {
    const ls = await signedChain({ events: 6 });
    const open = parse(ls[0]!);
    open.integrity.kid = 'k-unknown';
    const tampered = editUsers([JSON.stringify(open), ...ls.slice(1)], [2, 4]);
    const r = verifyLines(tampered, { k1: { secret: SECRET } });
    expect(codes(r)).toEqual(['KEY_UNKNOWN', 'MAC_INVALID', 'MAC_INVALID']);
    expect(r.findings.filter((f) => f.code === 'MAC_INVALID').map((f) => f.seq)).toEqual([3, 5]);
    const unknown = r.findings.find((f) => f.code === 'KEY_UNKNOWN')!;
    expect(unknown.message).toContain('7 of its records name kid "k1"');
    // Untouched apart from the OPEN: KEY_UNKNOWN alone, still saying the other records name a known kid.
    const onlyOpen = verifyLines([JSON.stringify(open), ...ls.slice(1)], { k1: { secret: SECRET } });
    expect(codes(onlyOpen)).toEqual(['KEY_UNKNOWN']);
    expect(onlyOpen.findings[0]!.message).toContain('name kid "k1"');
  });

  it('its chain.mode relabelled: the key mismatch is reported and the edited records too', async () => {
    const ls = await signedChain({ events: 6 });
    const open = parse(ls[0]!);
    open.chain.mode = 'sealed';
    const verifier = generateSealingKeyPair();
    const r = verifyLines(editUsers([JSON.stringify(open), ...ls.slice(1)], [3]), { k1: { secret: SECRET } });
    expect(codes(r)).toEqual(['KEY_UNKNOWN', 'MAC_INVALID', 'MAC_INVALID']);
    expect(r.findings.filter((f) => f.code === 'MAC_INVALID').map((f) => f.seq)).toEqual([1, 4]);
    // A sealed chain relabelled shared: its wrapped key still opens, so its records are checked too.
    const sealed = await signedChain({ events: 6, signing: { mode: 'sealed', kid: 'v1', publicKey: verifier.publicKey } as never });
    const sopen = parse(sealed[0]!);
    sopen.chain.mode = 'shared';
    const s = verifyLines(editUsers([JSON.stringify(sopen), ...sealed.slice(1)], [2]), { v1: { privateKey: verifier.privateKey } });
    expect(codes(s)).toEqual(['KEY_UNKNOWN', 'MAC_INVALID', 'MAC_INVALID']);
    expect(s.findings.filter((f) => f.code === 'MAC_INVALID').map((f) => f.seq)).toEqual([1, 3]);
  });
});

describe('an AUDIT_CHAIN_OPEN whose kid was renamed to another kid the keyring holds (a rotated key)', () => {
  it('is not "wrong key" for the whole chain: the edits beside it are located', async () => {
    const ls = await signedChain({ events: 6 });
    const open = parse(ls[0]!);
    open.integrity.kid = 'k2';
    const r = verifyLines(editUsers([JSON.stringify(open), ...ls.slice(1)], [2, 4]), { k1: { secret: SECRET }, k2: { secret: SECRET2 } });
    const invalid = r.findings.filter((f) => f.code === 'MAC_INVALID');
    expect(invalid.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(invalid.every((f) => !/wrong key/.test(f.message))).toBe(true);
    // The OPEN and the two edited records fail their own kid's key; the others verify with "k1".
    expect(invalid.filter((f) => /MAC does not match/.test(f.message)).map((f) => f.seq)).toEqual([1, 3, 5]);
    expect(invalid.find((f) => f.seq === 2)!.message).toContain('verifies with key "k1"');
  });
});
