import { describe, expect, it } from 'vitest';
import { decodePayload, encodeFrames, FRAME_HEADER_BYTES, scanSegment } from './record.js';

const entries = [
  { line: '{"a":1}' },
  { line: 'ünïcødé ✓ \u001b[31m\n', meta: { source_tag: 'swarm.audit.n1.web.t1', container_id: 'abc' }, source: 'forward' },
  { line: '', source: 'direct' },
  { line: '{"Type":"container"}', meta: { source_tag: 'web' }, reject: 'CONTAINER_EVENT_UNTRUSTED_TAG: from "web"' },
];

describe('spool records', () => {
  it('round-trips lines, meta and source through length+CRC-32 frames', () => {
    const { buffer, sizes } = encodeFrames(entries);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(buffer.length);
    const scan = scanSegment(buffer);
    expect(scan.badAt).toBeUndefined();
    expect(scan.records.map((r) => decodePayload(r.payload))).toEqual(entries);
    expect(scan.records.map((r) => r.size)).toEqual(sizes);
  });

  it('round-trips many entries whose meta repeats, changes, or is long, with multi-byte text (buffer growth)', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      line: i % 7 === 0 ? '😀é✓'.repeat(400 + i) : `{"n":${i}}`,
      ...(i % 3 === 0 ? {} : { meta: { source_tag: i % 5 === 0 ? 'ü'.repeat(2000) : 'tag', ...(i % 2 ? { container_id: 'ab' } : {}) } }),
      ...(i % 4 === 0 ? { source: `s${i % 8}` } : {}),
    }));
    const { buffer, sizes } = encodeFrames(many);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(buffer.length);
    const scan = scanSegment(buffer);
    expect(scan.badAt).toBeUndefined();
    expect(scan.records.map((r) => decodePayload(r.payload))).toEqual(many);
  });

  it('detects a torn tail at every cut point and never returns a partial record', () => {
    const { buffer, sizes } = encodeFrames(entries);
    const firstEnd = sizes[0]!;
    for (let cut = firstEnd + 1; cut < firstEnd + sizes[1]!; cut++) {
      const scan = scanSegment(buffer.subarray(0, cut));
      expect(scan.records).toHaveLength(1);
      expect(scan.badAt).toBe(firstEnd);
      expect(scan.badReason).toMatch(/torn/);
    }
  });

  it('detects a flipped bit by its checksum and stops there', () => {
    const { buffer, sizes } = encodeFrames(entries);
    const bad = Buffer.from(buffer);
    bad[sizes[0]! + FRAME_HEADER_BYTES + 7]! ^= 0x01;
    const scan = scanSegment(bad);
    expect(scan.records).toHaveLength(1);
    expect(scan.badAt).toBe(sizes[0]);
    expect(scan.badReason).toBe('checksum mismatch');
  });

  it('treats an absurd length prefix as corruption, not as a 4 GiB allocation', () => {
    const bad = Buffer.alloc(16, 0xff);
    const scan = scanSegment(bad);
    expect(scan.records).toHaveLength(0);
    expect(scan.badReason).toMatch(/implausible record length/);
  });
});
