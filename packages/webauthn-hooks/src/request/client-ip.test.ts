import { describe, expect, it } from 'vitest';
import { normalizeIp, resolveClientAddress, trustedProxies } from './client-ip.js';
import { WebAuthnHooksError } from '../errors.js';

describe('client IP through an explicit trusted-proxy list', () => {
  const none = trustedProxies([]);
  const proxy = trustedProxies(['10.0.0.2', '192.168.0.0/16', '2001:db8::/32']);

  it('without trusted proxies a client cannot choose its client_ip with X-Forwarded-For', () => {
    expect(resolveClientAddress('203.0.113.7', '1.2.3.4', none)).toEqual({
      client_ip: '203.0.113.7',
      client_ip_source: 'socket',
      peer_ip: '203.0.113.7',
    });
  });

  it('a direct client that is not a proxy cannot spoof even when proxies are configured', () => {
    expect(resolveClientAddress('203.0.113.7', '1.2.3.4', proxy).client_ip).toBe('203.0.113.7');
  });

  it('through a trusted proxy the address it appended is the client', () => {
    expect(resolveClientAddress('10.0.0.2', '198.51.100.9', proxy)).toEqual({
      client_ip: '198.51.100.9',
      client_ip_source: 'x-forwarded-for',
      peer_ip: '10.0.0.2',
    });
  });

  it('walks right to left and stops at the first untrusted hop; a spoofed left-most entry is ignored', () => {
    // client sent "6.6.6.6", real client 198.51.100.9 reached proxy 192.168.1.1, which forwarded to 10.0.0.2.
    const header = '6.6.6.6, 198.51.100.9, 192.168.1.1';
    expect(resolveClientAddress('10.0.0.2', header, proxy).client_ip).toBe('198.51.100.9');
  });

  it('repeated headers are joined in order; IPv6, brackets, ports and mapped addresses are normalised', () => {
    expect(resolveClientAddress('::ffff:10.0.0.2', ['6.6.6.6', '[2606:4700:AB::5]:443'], proxy).client_ip).toBe('2606:4700:ab::5');
    expect(resolveClientAddress('10.0.0.2', '198.51.100.9:5555', proxy).client_ip).toBe('198.51.100.9');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('not-an-ip')).toBeUndefined();
  });

  it('one address is one string: IPv6 in its RFC 5952 form, an IPv4-mapped address as IPv4 however it is written (found by a probe)', () => {
    for (const [raw, canonical] of [
      ['2001:DB8:0:0:0:0:0:99', '2001:db8::99'],
      ['2001:db8:0000:0000:0000:0000:0000:0099', '2001:db8::99'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::ffff:cb00:7163', '203.0.113.99'],
      ['::FFFF:203.0.113.99', '203.0.113.99'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ] as const) {
      expect(normalizeIp(raw), raw).toBe(canonical);
    }
  });

  it('a malformed hop ends the walk at the last trusted address', () => {
    const r = resolveClientAddress('10.0.0.2', '198.51.100.9, <script>', proxy);
    expect(r).toMatchObject({ client_ip: '10.0.0.2', client_ip_source: 'socket' });
  });

  it('named ranges exist for loopback and private networks, and nothing means "all"', () => {
    const loop = trustedProxies(['loopback']);
    expect(resolveClientAddress('127.0.0.1', '198.51.100.9', loop).client_ip).toBe('198.51.100.9');
    expect(resolveClientAddress('::1', '198.51.100.9', loop).client_ip).toBe('198.51.100.9');
    expect(trustedProxies(['private']).has('172.20.0.3')).toBe(true);
    for (const bad of ['*', 'all', 'true', '10.0.0.0/33', '1.2.3.4/8/1', '']) {
      expect(() => trustedProxies([bad])).toThrow(WebAuthnHooksError);
    }
    expect(() => trustedProxies(true as never)).toThrow(/array/);
    expect(() => trustedProxies([2 as never])).toThrow(/strings/);
  });

  it('an entry named like a property of Object.prototype is refused as not an address, not with a TypeError', () => {
    for (const entry of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => trustedProxies([entry])).toThrow(WebAuthnHooksError);
      expect(() => trustedProxies([entry])).toThrow(`trusted proxy "${entry}" is not an IP address or CIDR`);
    }
  });

  it('a CIDR covering every address (or too much of it) is refused: X-Forwarded-For could then name any client', () => {
    const tooWide = (entry: string) =>
      expect.objectContaining({
        code: 'WEBAUTHN_HOOKS_INVALID_PROXY',
        message: `trusted proxy "${entry}" covers too many addresses: a CIDR needs a prefix of at least /8 (IPv4), /32 (IPv6; /7 within fc00::/7); there is no "trust all", list the proxies' own ranges`,
      });
    // ::ffff:0:0/96 is 0.0.0.0/0 in IPv4-mapped form; ::/8 holds it; ::ffff:0:0/100 is 0.0.0.0/4.
    // 2000::/7 is half the global unicast space (found by a probe: it covered 2001:4860:4860::8888); 64:ff9b::/96 (NAT64)
    // and 2002::/16 (6to4) embed every IPv4 address; 64:ff9b::/100 is 0.0.0.0/4 through NAT64.
    for (const entry of ['0.0.0.0/0', '::/0', '0.0.0.0/1', '128.0.0.0/1', '10.0.0.0/7', '::ffff:0:0/96', '::/8', '::ffff:0:0/100', '2000::/3', 'fc00::/6', '2000::/7', '2001:db8::/31', '64:ff9b::/96', '64:ff9b::/32', '64:ff9b::/100', '2002::/16', '::/96']) {
      expect(() => trustedProxies([entry]), entry).toThrow(tooWide(entry));
    }
    // The dotted mapped form is read as IPv4, where /96 is no prefix length at all.
    expect(() => trustedProxies(['::ffff:0.0.0.0/96'])).toThrow(expect.objectContaining({ code: 'WEBAUTHN_HOOKS_INVALID_PROXY' }));
    expect(() => resolveClientAddress('203.0.113.7', '6.6.6.6', trustedProxies(['0.0.0.0/0']))).toThrow(WebAuthnHooksError);
    // An IPv4 prefix on an IPv4-mapped base: an IPv6 range of the whole space's size; the message says what was meant.
    for (const entry of ['::ffff:10.0.0.0/8', '::FFFF:a00:0/8', '::ffff:192.168.0.0/16']) {
      const v4 = entry.toLowerCase().startsWith('::ffff:192') ? '192.168.0.0' : '10.0.0.0';
      const prefix = entry.split('/')[1];
      expect(() => trustedProxies([entry]), entry).toThrow(
        expect.objectContaining({ code: 'WEBAUTHN_HOOKS_INVALID_PROXY', message: `trusted proxy "${entry}" is an IPv6 range, whose prefix counts 128 bits: write ${v4}/${prefix} (it matches IPv4-mapped peers such as ::ffff:${v4} too)` }),
      );
      expect(resolveClientAddress(`::ffff:${v4.replace(/0$/, '5')}`, '198.51.100.9', trustedProxies([`${v4}/${prefix}`])).client_ip, entry).toBe('198.51.100.9');
    }
  });

  it('the widest legitimate ranges still work: 10.0.0.0/8, fc00::/7, 10.0.0.0/8 written IPv4-mapped, and the named ranges', () => {
    const wide = trustedProxies(['10.0.0.0/8', 'fc00::/7', '::ffff:ac10:0/108', '127.0.0.0/8', '2001:db8:aaaa::/48', '64:ff9b::a00:0/104']);
    expect(wide.has('2001:db8:aaaa::5')).toBe(true);
    expect(resolveClientAddress('10.200.1.1', '6.6.6.6, 198.51.100.9', wide).client_ip).toBe('198.51.100.9');
    expect(resolveClientAddress('fd12:3456::1', '198.51.100.9', wide).client_ip).toBe('198.51.100.9');
    expect(wide.has('172.16.5.5')).toBe(true); // ::ffff:ac10:0/108 is 172.16.0.0/12
    expect(resolveClientAddress('203.0.113.7', '6.6.6.6', wide).client_ip).toBe('203.0.113.7');
    expect(resolveClientAddress('2001:db8::1', '6.6.6.6', wide).client_ip).toBe('2001:db8::1');
    expect(trustedProxies(['private', 'loopback']).has('192.168.1.1')).toBe(true);
  });

  it('no peer address (closed socket) yields no address fields', () => {
    expect(resolveClientAddress(undefined, '1.2.3.4', proxy)).toEqual({});
  });
});
