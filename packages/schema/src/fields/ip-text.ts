import { isIP } from 'node:net';

/**
 * The text of an IP address that reports group by: IPv6 in RFC 5952 §4 form
 * (lower case, the longest run of zero groups as `::`; the WHATWG URL
 * serializer writes exactly that), an IPv4-mapped one (`::ffff:192.0.2.1`,
 * an IPv4 client on a dual-stack socket, as Node reports it) as IPv4 unless
 * `keepMapped` (the base of a CIDR, whose prefix length counts IPv6 bits).
 * Anything that is not an address without a zone id is returned as given,
 * for validation to refuse.
 */
export function canonicalIp(ip: string, keepMapped = false): string {
  if (isIP(ip) !== 6 || ip.includes('%')) return ip;
  const text = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = keepMapped ? null : /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!mapped) return text;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * Writes an event's addresses (`client_ip`, `peer_ip`) in {@link canonicalIp}
 * form, so that one client is one value in every report: `::ffff:192.0.2.4`
 * and `192.0.2.4`, or `2001:DB8:0:0:0:0:0:6` and `2001:db8::6`, counted as
 * two IPs in the failure bursts (found by a probe). For producers, before
 * signing: a signed event is never rewritten.
 */
export function canonicalizeIps(event: Record<string, unknown>): void {
  for (const key of ['client_ip', 'peer_ip']) {
    const value = event[key];
    if (typeof value === 'string' && value.length <= 64) event[key] = canonicalIp(value);
  }
}
