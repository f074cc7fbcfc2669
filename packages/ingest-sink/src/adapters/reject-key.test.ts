import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupeBatch } from '../sink/dedupe-batch.js';
import { prepareRows, rejectRow } from '../sink/prepare.js';
import { rejectKey } from './reject-key.js';

describe('reject keys (security_audit_rejects.reject_key)', () => {
  it('is the base64url SHA-256 of the length-prefixed source and reason, then the payload', () => {
    const expected = createHash('sha256').update('6:direct3:bad').update('{"x":1}').digest('base64url');
    expect(rejectKey('direct', 'bad', '{"x":1}')).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('tells apart triples whose concatenation is the same, and payloads that differ in one character or in Unicode normalisation', () => {
    const keys = [
      rejectKey('ab', 'c', 'x'),
      rejectKey('a', 'bc', 'x'),
      rejectKey('a', 'b', 'cx'),
      rejectKey('a', 'b', 'c\u0301x'),
      rejectKey('a', 'b', '\u00e9x'),
      rejectKey('a', 'b', 'e\u0301x'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is the same for the same refusal prepared again (a replay): hostile payloads included', () => {
    const lines = ['garbage\n\u001b[31m', "'; DROP TABLE security_audit_rejects;--", '{"event_type":"WEBAUTHN_AUTH_FAILURE"}', 'bad \ud800 surrogate', 'x'.repeat(100_000)];
    const first = prepareRows(lines.map((line) => ({ line, source: 'forward:10.0.0.7' })), 'direct');
    const again = prepareRows(lines.map((line) => ({ line, source: 'forward:10.0.0.7' })), 'direct');
    const keys = (rows: typeof first) => rows.map((r) => (r.kind === 'reject' ? r.key : 'event'));
    expect(keys(again)).toEqual(keys(first));
    expect(new Set(keys(first)).size).toBe(lines.length);
    // From another source, the same lines are other refusals.
    const elsewhere = prepareRows(lines.map((line) => ({ line, source: 'file:/var/log/a.ndjson' })), 'direct');
    expect(keys(elsewhere).filter((k) => keys(first).includes(k))).toEqual([]);
  });

  it('dedupeBatch keeps the first of a refusal repeated in one batch and counts the others', () => {
    const a = rejectRow('direct', 'bad', 'x');
    const b = rejectRow('direct', 'bad', 'y');
    const batch = dedupeBatch([a, b, rejectRow('direct', 'bad', 'x'), a]);
    expect(batch.rejects).toEqual([a, b]);
    expect(batch.duplicateRejects).toBe(2);
  });
});
