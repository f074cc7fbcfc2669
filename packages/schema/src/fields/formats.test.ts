import { describe, expect, it } from 'vitest';
import { prng } from '../../../../test/support/prng.js';
import { IPV6_PATTERN, ipAddress } from './formats.js';

// The JSON Schema pattern of an IPv6 address must accept what zod's ipv6
// check accepts (a WHATWG URL parse) and refuse what it refuses: a consumer
// that validates with JSON Schema otherwise refuses valid events, or
// accepts events zod refuses. Checked as JSON Schema validators run it
// (ECMA-262 with the `u` flag, as Ajv does).
const pattern = new RegExp(IPV6_PATTERN, 'u');
/** ipAddress's IPv6 member, the one the pattern belongs to (the IPv4 member has its own). */
const zodIpv6 = ipAddress.options[1];
const zodAccepts = (s: string) => zodIpv6.safeParse(s).success;

const ACCEPTED = [
  // RFC 4291 §2.2 form 3: the low 32 bits as dotted decimal.
  '::ffff:1.2.3.4',
  '::ffff:192.0.2.128',
  '::FFFF:1.2.3.4',
  '0000:0000:0000:0000:0000:ffff:255.255.255.255',
  '::1.2.3.4',
  '::0:1.2.3.4',
  '1::1.2.3.4',
  '64:ff9b::192.0.2.33',
  '1:2:3:4:5::1.2.3.4',
  '1:2:3:4:5:6:1.2.3.4',
  'a:b:c:d:e:f:0.0.0.0',
  // Hex only.
  '::',
  '::1',
  '1::',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7::',
  '::1:2:3:4:5:6:7',
  '1::2:3:4:5:6:7',
  'FE80::1',
  '2001:db8::6',
];
const REFUSED = [
  '1:2:3:4:5:6:7:1.2.3.4', // 9 groups' worth
  '1:2:3:4:5:6::1.2.3.4', // `::` standing for no group
  '1:2:3:4:5:6:7:8::',
  '::1:2:3:4:5:6:7:8',
  '::ffff:001.002.003.004', // leading zeros: octal to some parsers
  '::ffff:1.2.3.04',
  '::ffff:1.2.3',
  '::ffff:1.2.3.4.5',
  '::ffff:256.1.1.1',
  '::1.2.3.4:1', // the dotted part only last
  '1.2.3.4::',
  'fe80::1%eth0', // zone id
  '[::1]',
  '00000::1',
  ':::',
  '1:::2',
  '1::2::3',
  ':1::',
  '1:2:3:4:5:6:7:8:9',
  '0x1::',
  '',
];

describe('IPV6_PATTERN, the JSON Schema pattern of ipAddress', () => {
  it('accepts IPv6 addresses with a dotted IPv4 tail, as zod does', () => {
    for (const ip of ACCEPTED) {
      expect([ip, zodAccepts(ip)]).toEqual([ip, true]);
      expect([ip, pattern.test(ip)]).toEqual([ip, true]);
    }
  });

  it('refuses what zod refuses', () => {
    for (const ip of REFUSED) {
      expect([ip, zodAccepts(ip)]).toEqual([ip, false]);
      expect([ip, pattern.test(ip)]).toEqual([ip, false]);
    }
  });

  it('agrees with zod on 100 000 random colon-joined strings', () => {
    const rnd = prng(4291);
    const parts = ['', '0', '1', 'ff', 'ffff', 'FFFF', '12345', '1.2.3.4', '255.255.255.255', '01.2.3.4', '1.2.3', ':', 'g', '0.0.0.0', '256.0.0.1'];
    const disagreements: string[] = [];
    let accepted = 0;
    for (let n = 0; n < 100_000; n++) {
      const k = 1 + Math.floor(rnd() * 10);
      const s = Array.from({ length: k }, () => parts[Math.floor(rnd() * parts.length)]!).join(':');
      const zod = zodAccepts(s);
      if (zod) accepted++;
      if (zod !== pattern.test(s)) disagreements.push(s);
    }
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(1000); // the strings reach valid addresses, not only refusals
  });
});
