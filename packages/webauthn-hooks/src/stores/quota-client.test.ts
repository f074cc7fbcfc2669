import { describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from './memory-challenge-store.js';
import { quotaClient } from './quota-client.js';

describe('quotaClient: what a per-client challenge quota counts by', () => {
  it('an IPv4 address is itself; an IPv6 address is its /64, however it is written', () => {
    expect(quotaClient('203.0.113.7')).toBe('203.0.113.7');
    for (const [ip, net] of [
      ['2001:db8:bad:1::1', '2001:db8:bad:1::/64'],
      ['2001:db8:bad:1:ffff:ffff:ffff:ffff', '2001:db8:bad:1::/64'],
      ['2001:0db8:0bad:0001:0:0:0:9', '2001:db8:bad:1::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ] as const) {
      expect(quotaClient(ip), ip).toBe(net);
    }
    expect(quotaClient('not an address')).toBe('not an address');
    // An IPv4 peer on a dual-stack socket is its IPv4 address, in either spelling: not one /64 shared by every IPv4 client.
    expect(quotaClient('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(quotaClient('::ffff:c000:201')).toBe('192.0.2.1');
  });

  it('an IPv4 client translated through NAT64 (64:ff9b::/96, RFC 6052) is its IPv4 address: not one /64 shared by every IPv4 client of an IPv6-only service (found by a probe)', () => {
    expect(quotaClient('64:ff9b::192.0.2.1')).toBe('192.0.2.1');
    expect(quotaClient('64:ff9b::c000:202')).toBe('192.0.2.2');
    expect(quotaClient('64:FF9B:0:0:0:0:CB00:7107')).toBe('203.0.113.7');
    expect(quotaClient('64:ff9b::1')).toBe('0.0.0.1');
    // Outside the /96 it is an IPv6 client like any other.
    expect(quotaClient('64:ff9b:1::c000:201')).toBe('64:ff9b:1:0::/64');
  });
});

describe('MemoryChallengeStore per-client quota with IPv6 clients', () => {
  it('one host cycling through the addresses of its /64 pushes out only its own challenges, not a pending sign-in (found by a probe)', () => {
    // Default bounds: 10 000 entries, 32 per client.
    const store = new MemoryChallengeStore();
    const pending = { challenge: 'victim', ceremony: 'authentication' as const, client: '198.51.100.23', issuedAt: 0, expiresAt: 300_000 };
    store.save(pending);
    for (let i = 1; i <= 10_000; i++) {
      store.save({ challenge: `flood-${i}`, ceremony: 'authentication', client: `2001:db8:bad:1::${i.toString(16)}`, issuedAt: 1, expiresAt: 300_001 });
    }
    expect(store.size).toBeLessThanOrEqual(33);
    expect(store.take('victim', 2)).toMatchObject({ status: 'ok' });
    // Another /64 is another client.
    store.save({ challenge: 'neighbour', ceremony: 'authentication', client: '2001:db8:bad:2::1', issuedAt: 3, expiresAt: 300_003 });
    expect(store.take('neighbour', 4)).toMatchObject({ status: 'ok' });
  });
});
