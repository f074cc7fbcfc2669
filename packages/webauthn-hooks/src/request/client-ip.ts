import { BlockList, isIP } from 'node:net';
import { canonicalIp } from '@audit-trail/schema';
import { WebAuthnHooksError } from '../errors.js';

/**
 * Named address ranges accepted in a trusted-proxy list, so a deployment can
 * say "the proxy is on this host" without spelling out CIDRs. Nothing here
 * means "every address": there is deliberately no such name.
 */
const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  // RFC 1918 and RFC 4193 unique local addresses (Docker/Swarm overlay networks live here).
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Shortest prefix a trusted-proxy CIDR may have. The widest ranges a proxy
 * network legitimately spans are 10.0.0.0/8 (RFC 1918), 127.0.0.0/8 and
 * fc00::/7 (RFC 4193); a shorter prefix spans unrelated networks, up to
 * every address (`0.0.0.0/0`, `::/0`), and then any client chooses its own
 * `client_ip` with X-Forwarded-For. List several ranges instead. Outside
 * fc00::/7 an IPv6 range needs /32 at least (`ipv6Global`), a whole
 * provider's allocation: /7 there was `2000::/7`, half the Internet.
 */
export const MIN_PROXY_PREFIX = { ipv4: 8, ipv6: 7, ipv6Global: 32 } as const;

/** RFC 4193 unique local addresses, the one IPv6 range a proxy network may span down to /7. */
const ULA = new BlockList();
ULA.addSubnet('fc00::', 7, 'ipv6');

/**
 * IPv6 ranges that embed IPv4 addresses, and the bit where the IPv4 address
 * starts: IPv4-mapped (RFC 4291 §2.5.5.2, through which BlockList matches
 * IPv4 addresses against IPv6 rules), the NAT64 well-known prefix (RFC 6052)
 * and 6to4 (RFC 3056), and the deprecated IPv4-compatible form. A rule over them trusts IPv4 space by another name.
 */
const IPV4_EMBEDDING: readonly { base: string; length: number; range: BlockList }[] = [
  { base: '::ffff:0:0', length: 96 },
  // IPv4-compatible (RFC 4291 §2.5.5.1, deprecated): ::a.b.c.d.
  { base: '::', length: 96 },
  { base: '64:ff9b::', length: 96 },
  { base: '2002::', length: 16 },
].map((e) => {
  const range = new BlockList();
  range.addSubnet(e.base, e.length, 'ipv6');
  return { ...e, range };
});

/** Hops walked at most in X-Forwarded-For: a chain of trusted proxies is never longer in practice. */
const MAX_HOPS = 32;

/** How `client_ip` was found: the TCP peer itself, or the header a trusted proxy appended. */
export type ClientIpSource = 'socket' | 'x-forwarded-for';

/** Addresses of one request, as logged (`client_ip`, `client_ip_source`, `peer_ip`). */
export interface ClientAddress {
  client_ip?: string;
  client_ip_source?: ClientIpSource;
  peer_ip?: string;
}

/** A compiled list of trusted proxies; see {@link trustedProxies}. */
export interface TrustedProxies {
  /** True when `ip` (already normalised) is a configured proxy. */
  has(ip: string): boolean;
  /** The entries as configured, for diagnostics. */
  readonly entries: readonly string[];
}

/**
 * `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket), also written
 * `::ffff:c000:201`, becomes `192.0.2.1`; any other IPv6 address its RFC
 * 5952 text (lowercase, the longest run of zero groups as `::`), so that one
 * address is one value to group by in the reports (`2001:DB8:0:0:0:0:0:1`,
 * from a proxy's header, was kept as written; found by a probe). Zone ids
 * are dropped. With `keepMapped`, an IPv4-mapped address stays IPv6 (the
 * base of a CIDR, whose prefix length counts IPv6 bits).
 */
export function normalizeIp(raw: string | undefined, keepMapped = false): string | undefined {
  if (!raw) return undefined;
  let ip = raw.trim();
  if (ip.startsWith('[')) ip = ip.slice(1, ip.indexOf(']') === -1 ? undefined : ip.indexOf(']'));
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  const mapped = keepMapped ? null : /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  if (isIP(ip) === 0) {
    // "192.0.2.1:8080" (some proxies append the port).
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(ip);
    if (withPort && isIP(withPort[1]!) === 4) return withPort[1];
    return undefined;
  }
  return canonicalIp(ip, keepMapped);
}


/**
 * The prefix length a CIDR has over the IPv4 space, Infinity when it holds
 * no IPv4 address. An IPv6 rule covers IPv4 addresses through the ranges
 * that embed them ({@link IPV4_EMBEDDING}): `::ffff:0:0/96` or
 * `64:ff9b::/96` is every IPv4 address (`0.0.0.0/0` in disguise),
 * `::ffff:a00:0/104` is 10.0.0.0/8, and `::/8` holds all of ::ffff:0:0/96.
 */
function ipv4PrefixOf(ip: string, family: number, prefix: number): number {
  if (family === 4) return prefix;
  const rule = new BlockList();
  rule.addSubnet(ip, prefix, 'ipv6');
  let widest = Infinity;
  for (const { base, length, range } of IPV4_EMBEDDING) {
    if (prefix >= length && range.check(ip, 'ipv6')) widest = Math.min(widest, 32, prefix - length);
    else if (prefix < length && rule.check(base, 'ipv6')) widest = 0;
  }
  return widest;
}

/** Whether an IPv6 range is too wide for a proxy network: shorter than /7, or than /32 outside fc00::/7. */
function ipv6TooWide(ip: string, prefix: number): boolean {
  return prefix < MIN_PROXY_PREFIX.ipv6 || (prefix < MIN_PROXY_PREFIX.ipv6Global && !ULA.check(ip, 'ipv6'));
}

function addEntry(list: BlockList, entry: string): void {
  const [addr, prefixText, ...rest] = entry.split('/');
  // A CIDR's base keeps its family: ::ffff:a00:0/104 is an IPv6 range.
  const ip = normalizeIp(addr, prefixText !== undefined);
  const family = ip ? isIP(ip) : 0;
  if (!ip || rest.length > 0 || family === 0) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_INVALID_PROXY', `trusted proxy "${entry}" is not an IP address or CIDR`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) {
    list.addAddress(ip, type);
    return;
  }
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_INVALID_PROXY', `trusted proxy "${entry}" has an invalid prefix length`);
  }
  // ::ffff:10.0.0.0/8 counts /8 of 128 bits: whoever wrote it meant 10.0.0.0/8.
  const mapped = family === 6 && prefix <= 32 ? normalizeIp(addr) : undefined;
  if (mapped && isIP(mapped) === 4) {
    throw new WebAuthnHooksError(
      'WEBAUTHN_HOOKS_INVALID_PROXY',
      `trusted proxy "${entry}" is an IPv6 range, whose prefix counts 128 bits: write ${mapped}/${prefix} (it matches IPv4-mapped peers such as ::ffff:${mapped} too)`,
    );
  }
  if (ipv4PrefixOf(ip, family, prefix) < MIN_PROXY_PREFIX.ipv4 || (family === 6 && ipv6TooWide(ip, prefix))) {
    throw new WebAuthnHooksError(
      'WEBAUTHN_HOOKS_INVALID_PROXY',
      `trusted proxy "${entry}" covers too many addresses: a CIDR needs a prefix of at least /${MIN_PROXY_PREFIX.ipv4} (IPv4), ` +
        `/${MIN_PROXY_PREFIX.ipv6Global} (IPv6; /${MIN_PROXY_PREFIX.ipv6} within fc00::/7); there is no "trust all", list the proxies' own ranges`,
    );
  }
  list.addSubnet(ip, prefix, type);
}

/**
 * Compiles an explicit list of trusted proxies: IP addresses, CIDRs (a
 * prefix of at least {@link MIN_PROXY_PREFIX}: /8 IPv4, /32 IPv6, /7 within fc00::/7), or the
 * names `loopback` and `private`. There is no "trust all" and no hop count
 * (Fastify 5.12.1 removed numeric hop trust because it "cannot validate the
 * immediate peer"); an empty list means X-Forwarded-For is never read.
 */
export function trustedProxies(entries: readonly string[] = []): TrustedProxies {
  if (!Array.isArray(entries)) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_INVALID_PROXY', 'trustedProxies must be an array of IPs or CIDRs');
  }
  const list = new BlockList();
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      throw new WebAuthnHooksError('WEBAUTHN_HOOKS_INVALID_PROXY', 'trustedProxies entries must be strings');
    }
    // An own key only: 'constructor' or '__proto__' is no named range, but a property of every object.
    const named = Object.hasOwn(NAMED_RANGES, entry) ? NAMED_RANGES[entry] : undefined;
    for (const e of named ?? [entry]) addEntry(list, e);
  }
  return {
    entries: [...entries],
    has: (ip) => list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4'),
  };
}

/**
 * Finds the client address of a request. The TCP peer is the client unless
 * it is a trusted proxy; then X-Forwarded-For is walked right to left (each
 * proxy appends the address it saw) and the first hop that is not a trusted
 * proxy is the client. A client that sends its own X-Forwarded-For directly
 * therefore cannot choose its `client_ip`; see adam-p.ca "The perils of the
 * real client IP" and sveltejs/kit#4332.
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  proxies: TrustedProxies,
): ClientAddress {
  const peerIp = normalizeIp(peer);
  if (!peerIp) return {};
  const result: ClientAddress = { client_ip: peerIp, client_ip_source: 'socket', peer_ip: peerIp };
  if (!proxies.has(peerIp) || forwardedFor === undefined) return result;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops = header.split(',');
  let current = peerIp;
  for (let i = hops.length - 1, walked = 0; i >= 0 && walked < MAX_HOPS; i--, walked++) {
    if (!proxies.has(current)) break;
    const hop = normalizeIp(hops[i]);
    // A malformed entry ends the walk: the last trusted hop is the best we know.
    if (!hop) break;
    current = hop;
    result.client_ip = hop;
    result.client_ip_source = 'x-forwarded-for';
  }
  return result;
}
