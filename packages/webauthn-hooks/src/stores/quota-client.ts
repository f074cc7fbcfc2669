import { isIP } from 'node:net';
import { normalizeIp } from '../request/client-ip.js';

/**
 * The client a per-client challenge quota counts by: an IPv4 address as it
 * is, an IPv6 address as its /64 network (`2001:db8:1:2::/64`).
 *
 * One IPv6 host is not one address: the low 64 bits are its interface
 * identifier (RFC 4291 §2.5.1), a host with SLAAC may configure any number
 * of them in its /64 and rotates temporary ones on its own (RFC 8981), and
 * any home network is given at least a /64. Counted per address, one
 * client cycling through its /64 held as many challenges as it liked, and
 * so pushed every other user's pending sign-in out of a full store (found
 * by a probe). express-rate-limit groups IPv6 clients by prefix for the
 * same reason (its `ipv6Subnet` option). An IPv4 address embedded in
 * NAT64's 64:ff9b::/96 counts as that IPv4 address. Anything that is not an
 * IP address is returned as it is.
 */
export function quotaClient(client: string): string {
  // normalizeIp first: an IPv4 peer on a dual-stack socket (`::ffff:192.0.2.1`)
  // is that IPv4 address, one client, not the /64 ::/64 that every such peer shares.
  const ip = normalizeIp(client);
  if (ip === undefined) return client;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = (tail === undefined ? left : [...left, ...Array<string>(8 - width(left) - width(right)).fill('0'), ...right]).map((g) => parseInt(g, 16));
  // NAT64's well-known prefix 64:ff9b::/96 (RFC 6052 §2.1) holds an IPv4 address in its last 32
  // bits: an IPv6-only service behind a stateless translator (SIIT-DC, RFC 7755) sees every IPv4
  // client there, and as one /64 they all shared a quota (a probe's find, as ::ffff:0:0/96 before).
  if (groups.length === 8 && [0x64, 0xff9b, 0, 0, 0, 0].every((g, i) => groups[i] === g)) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
