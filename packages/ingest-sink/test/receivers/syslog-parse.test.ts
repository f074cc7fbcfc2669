import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { SyslogFramer, type FramerOutput } from '../../src/receivers/syslog/framing.js';
import { parseSyslog } from '../../src/receivers/syslog/parse.js';

describe('syslog parsing (RFC 5424, RFC 3164)', () => {
  it('parses an RFC 5424 message with structured data containing escapes, and a BOM before MSG', () => {
    const m = parseSyslog('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\"ication\\]" eventID="1011"][x@1 a="b"] \ufeff{"log_type":"security_audit"}');
    expect(m).toMatchObject({
      format: 'rfc5424',
      facility: 20,
      severity: 5,
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appName: 'evntslog',
      procId: undefined,
      msgId: 'ID47',
      structuredData: '[exampleSDID@32473 iut="3" eventSource="Appl\\"ication\\]" eventID="1011"][x@1 a="b"]',
      msg: '{"log_type":"security_audit"}',
    });
  });

  it('parses RFC 5424 with NILVALUE structured data and no MSG', () => {
    expect(parseSyslog('<34>1 - - - - - -')).toMatchObject({ facility: 4, severity: 2, msg: '', structuredData: undefined });
  });

  it('parses RFC 3164 with and without a host name', () => {
    expect(parseSyslog('<34>Oct 11 22:14:15 mymachine su[123]: hello world')).toMatchObject({
      format: 'rfc3164',
      timestamp: 'Oct 11 22:14:15',
      hostname: 'mymachine',
      appName: 'su',
      procId: '123',
      msg: 'hello world',
    });
    expect(parseSyslog('<13>Feb  5 17:32:18 app: {"a":1}')).toMatchObject({ hostname: undefined, appName: 'app', msg: '{"a":1}' });
  });

  it("reads rsyslog's legacy forwarding forms: an RFC 3339 TIMESTAMP (RSYSLOG_ForwardFormat) and a TAG ended by a space (omfwd's default template, of RFC 5424 input)", () => {
    // Both came out as rejects: the TAG regex took `2026-12-06T10:` as the app name, and a TAG with no colon stayed in MSG (found by a probe).
    expect(parseSyslog('<134>2026-12-06T10:25:48.844898+00:00 vm webauthn-api: {"a":1}')).toMatchObject({
      format: 'rfc3164',
      facility: 16,
      severity: 6,
      timestamp: '2026-12-06T10:25:48.844898+00:00',
      hostname: 'vm',
      appName: 'webauthn-api',
      msg: '{"a":1}',
    });
    expect(parseSyslog('<134>2026-12-06T10:25:48Z vm webauthn-api {"a":1}')).toMatchObject({ timestamp: '2026-12-06T10:25:48Z', hostname: 'vm', appName: 'webauthn-api', msg: '{"a":1}' });
    expect(parseSyslog('<13>2026-12-06T10:25:48-05:00 app[7]: x')).toMatchObject({ hostname: undefined, appName: 'app', procId: '7', msg: 'x' });
    expect(parseSyslog('<134>Dec  6 10:25:48 vm webauthn-api {"a":1}')).toMatchObject({ timestamp: 'Dec  6 10:25:48', hostname: 'vm', appName: 'webauthn-api', msg: '{"a":1}' });
    expect(parseSyslog('<134>Dec  6 10:25:48 vm su[123] hello: world ')).toMatchObject({ appName: 'su', procId: '123', msg: 'hello: world ' });
    // Only the one space that ends the TAG is taken: MSG is kept as sent.
    expect(parseSyslog('<134>Dec  6 10:25:48 vm app   {"a":1}').msg).toBe('  {"a":1}');
  });

  it("drops the BOM an RFC 5424 MSG starts with when rsyslog relays it in its legacy templates (RSYSLOG_TraditionalForwardFormat, RSYSLOG_ForwardFormat), as in RFC 5424 itself", () => {
    // rsyslog keeps the BOM in %msg% (Debian's 8.2302, these frames as it sent them): the audit line
    // after it was not JSON, and became a reject over omfwd's default template (found by a probe).
    expect(parseSyslog('<134>Dec  8 03:00:00 host webauthn-api[12] \ufeff{"a":1}')).toMatchObject({ format: 'rfc3164', appName: 'webauthn-api', procId: '12', msg: '{"a":1}' });
    expect(parseSyslog('<134>2026-12-08T03:00:00Z host webauthn-api[12] \ufeff{"a":1}')).toMatchObject({ format: 'rfc3164', appName: 'webauthn-api', msg: '{"a":1}' });
    // Only one, at the start of MSG: text after it is kept as sent.
    expect(parseSyslog('<13>Dec  8 03:00:00 host app: \ufeff\ufeffx\ufeff').msg).toBe('\ufeffx\ufeff');
  });

  it('reads a TAG longer than RFC 3164\'s 32 characters, up to rsyslog\'s 510; a longer first word is MSG, kept whole', () => {
    const swarm = 'swarm/worker-01/audit_webauthn-api.1.x3y5q1w9z8k7j6h5g4f3d2s1a/4f1c2a9b8e7d';
    expect(parseSyslog(`<134>Dec  6 10:00:00 host ${swarm}[123]: {"a":1}`)).toMatchObject({ hostname: 'host', appName: swarm, procId: '123', msg: '{"a":1}' });
    expect(parseSyslog(`<134>Dec  6 10:00:00 host ${swarm} {"a":1}`)).toMatchObject({ appName: swarm, msg: '{"a":1}' });
    const longest = 't'.repeat(510);
    expect(parseSyslog(`<134>Dec  6 10:00:00 host ${longest}: {"a":1}`)).toMatchObject({ appName: longest, msg: '{"a":1}' });
    expect(parseSyslog(`<134>Dec  6 10:00:00 host ${longest}t: {"a":1}`)).toMatchObject({ appName: undefined, msg: `${longest}t: {"a":1}` });
  });

  it('reads an IPv6 address after the TIMESTAMP as the HOSTNAME, bracketed or not, not as a TAG (the audit line after it was left behind "db8::1 app: " and became a reject)', () => {
    for (const host of ['2001:db8::1', '[2001:db8::1]', '::1', 'fe80::1%eth0']) {
      expect(parseSyslog(`<134>Dec  6 10:00:00 ${host} app: {"a":1}`)).toMatchObject({ hostname: host, appName: 'app', msg: '{"a":1}' });
    }
    // Still a TAG where it is one: no host name, and a TAG ending in a colon.
    expect(parseSyslog('<134>Dec  6 10:00:00 beef: {"a":1}')).toMatchObject({ hostname: undefined, appName: 'beef', msg: '{"a":1}' });
    expect(parseSyslog('<134>Dec  6 10:00:00 app[12]: {"a":1}')).toMatchObject({ hostname: undefined, appName: 'app', procId: '12', msg: '{"a":1}' });
  });

  it('reads a JSON MSG with no TAG as MSG, whole: its first `"key":` is no TAG', () => {
    // It was: appName '{"log_type"', MSG cut after its first colon (found by a probe).
    const line = '{"log_type":"security_audit","a":1}';
    expect(parseSyslog(`<134>Dec  6 10:00:00 host ${line}`)).toMatchObject({ hostname: 'host', appName: undefined, msg: line });
    expect(parseSyslog(`<134>2026-12-06T10:00:00Z host ${line}`)).toMatchObject({ hostname: 'host', appName: undefined, msg: line });
    expect(parseSyslog(`<134>Dec  6 10:00:00 ${line}`)).toMatchObject({ hostname: undefined, appName: undefined, msg: line });
  });

  it('parses 256 KiB lines of adversarial header characters in linear time, keeping the MSG whole', () => {
    const n = 256 * 1024;
    const tag = 't'.repeat(510);
    const bodies = ['a'.repeat(n), 'a['.repeat(n / 2), `a[${']'.repeat(n)}`, '['.repeat(n), `${'x'.repeat(509)}[`.repeat(n / 510), 'a:'.repeat(n / 2), '2026-12-06T10:'.repeat(n / 14), `${tag}t`.repeat(n / 511)];
    for (const body of bodies) {
      for (const head of ['<13>', '<13>Dec  6 10:00:00 host ', '<13>2026-12-06T10:00:00.123456+00:00 host ']) {
        const m = parseSyslog(head + body);
        // Whatever was taken as TAG (510 + `[pid]: `, 546 at most), MSG is the rest of the line as sent.
        expect(body.endsWith(m.msg)).toBe(true);
        expect(body.length - m.msg.length).toBeLessThanOrEqual(546);
      }
    }
    // A long TAG with a long MSG after it: the TAG is read, the MSG kept.
    expect(parseSyslog(`<13>2026-12-06T10:00:00Z host ${tag} ${'{'.repeat(n)}`)).toMatchObject({ appName: tag, msg: '{'.repeat(n) });
    // No timed assertion: 24 parses of 256 KiB take a few ms when linear, and a
    // backtracking regex would take minutes, past the test's timeout.
  });

  it('throws typed errors for a missing or out-of-range PRI and broken structured data', () => {
    expect(() => parseSyslog('hello')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
    expect(() => parseSyslog('<999>1 - - - - - -')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
    expect(() => parseSyslog('<1>1 - - - - - [x a="unterminated]')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
  });
});

describe('syslog TCP framing (RFC 6587)', () => {
  const frames = (out: FramerOutput) => out.frames.map(String);

  it('splits octet-counted and LF-framed messages across arbitrary reads', () => {
    const f = new SyslogFramer(1000);
    const stream = Buffer.from('12 <1>1 - - - a<2>LF framed\r\n14 <3>1 - - - - -');
    const got: string[] = [];
    for (const b of stream) got.push(...frames(f.push(Buffer.from([b]))));
    expect(got).toEqual(['<1>1 - - - a', '<2>LF framed', '<3>1 - - - - -']);
  });

  it('drops the CR and NUL a LF-framed line ends in (NUL LF, CR LF, NUL CR LF), in one read or a byte per read, as UDP drops a trailing NUL (a NUL LF line was a reject over TCP; found by a probe)', () => {
    const stream = Buffer.from('<14>1 - - app - - - {"a":1}\0\n<14>1 - - app - - - {"b":2}\r\n<14>1 - - app - - - {"c":3}\0\r\n');
    const want = ['<14>1 - - app - - - {"a":1}', '<14>1 - - app - - - {"b":2}', '<14>1 - - app - - - {"c":3}'];
    expect(frames(new SyslogFramer(1000).push(stream))).toEqual(want);
    const f = new SyslogFramer(1000);
    const got: string[] = [];
    for (const b of stream) got.push(...frames(f.push(Buffer.from([b]))));
    expect(got).toEqual(want);
  });

  it('keeps newlines inside octet-counted frames', () => {
    const f = new SyslogFramer(1000);
    expect(frames(f.push(Buffer.from('5 a\nb\nc')))).toEqual(['a\nb\nc']);
  });

  it('skips an oversized frame (by its count, or up to its LF) and keeps the messages around it, in one read or many', () => {
    const stream = Buffer.from(`<1>before\n<2>${'x'.repeat(30)}\n<3>middle\n40 ${'y'.repeat(40)}6 <4>end\n<5>last\n`);
    for (const step of [stream.length, 7, 1]) {
      const f = new SyslogFramer(20);
      const got: string[] = [];
      const refused: string[] = [];
      const heads: string[] = [];
      for (let i = 0; i < stream.length; i += step) {
        const out = f.push(stream.subarray(i, i + step));
        got.push(...frames(out));
        refused.push(...out.refused.map((r) => r.error.code));
        heads.push(...out.refused.map((r) => r.head.toString()));
      }
      expect(got).toEqual(['<1>before', '<3>middle', '<4>end', '<5>last']);
      expect(refused).toEqual(['FRAME_TOO_LARGE', 'FRAME_TOO_LARGE']);
      // Each refused frame comes with its first bytes: the limit's worth of an
      // LF-framed line, what had arrived of an octet-counted frame.
      expect(heads[0]).toBe(`<2>${'x'.repeat(17)}`);
      expect('y'.repeat(20).startsWith(heads[1]!)).toBe(true);
      if (step === stream.length) expect(heads[1]).toBe('y'.repeat(20));
    }
  });

  it('keeps a line of exactly the limit ending in CR LF when the CR and the LF arrive in different reads', () => {
    const line = `<1>${'q'.repeat(17)}`; // 20 bytes, the limit
    for (const split of [line.length, line.length + 1]) {
      const f = new SyslogFramer(20);
      const bytes = Buffer.from(`${line}\r\n<2>next\n`);
      const out = [f.push(bytes.subarray(0, split)), f.push(bytes.subarray(split))];
      expect(out.flatMap((o) => o.refused)).toEqual([]);
      expect(out.flatMap(frames)).toEqual([line, '<2>next']);
    }
  });

  it('a frame that starts with a digit but holds no octet count is a line up to its LF, and the stream goes on (it ended the stream, dropping every later message; found by a probe)', () => {
    const bytes = Buffer.from('<1>kept\n12x <1>\n2026-12-06 10:00:00 plain text\n05 x\n0 y\n12345678901 z\n16 <2>octet-counted\n<3>after\n42');
    for (const step of [bytes.length, 3, 1]) {
      const f = new SyslogFramer(100);
      const got: string[] = [];
      for (let i = 0; i < bytes.length; i += step) got.push(...frames(f.push(bytes.subarray(i, i + step))));
      expect(got, `reads of ${step}`).toEqual(['<1>kept', '12x <1>', '2026-12-06 10:00:00 plain text', '05 x', '0 y', '12345678901 z', '<2>octet-counted', '<3>after']);
      // Digits at the end of the stream may be a count still arriving: the end makes them a last line.
      expect(f.rest().toString()).toBe('42');
    }
  });

  it('keeps a long line arriving in small reads as a list, joined once it is complete', () => {
    const f = new SyslogFramer(1 << 20);
    const line = `<1>${'z'.repeat(100_000)}`;
    const bytes = Buffer.from(`${line}\n`);
    let got: string[] = [];
    for (let i = 0; i < bytes.length; i += 64) got = got.concat(frames(f.push(bytes.subarray(i, i + 64))));
    expect(got).toEqual([line]);
    expect(f.rest().length).toBe(0);
  });

  it('holds an unfinished frame sent a byte per read in about its length, not a Buffer per byte (found by a probe: 100 connections, 20 KB each, 760 MB)', () => {
    // A full collection before each measure, so what is counted is what the framers hold.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const reads = 100_000;
    const framers: SyslogFramer[] = [];
    const before = held();
    // An LF-framed line, and the head of an octet-counted frame over the limit, each a byte per read.
    for (const start of ['<14>1 - - - - - - {"log_type":"security_audit"', `${2 * reads} <14>1 - - - - - - {"log_type":"security_audit"`]) {
      const f = new SyslogFramer(reads + 1000);
      f.push(Buffer.from(start));
      for (let i = 0; i < reads; i++) f.push(Buffer.from('x'));
      framers.push(f);
    }
    const grown = held() - before;
    expect(framers.map((f) => f.pendingLength)).toEqual([reads + 46, reads + 46]);
    // Kept one Buffer per read, they took over 100 bytes each (23 MB here).
    expect(grown).toBeLessThan(8 * 2 * reads);
    expect(framers[1]!.takeHead()!.head.toString('latin1')).toBe(`<14>1 - - - - - - {"log_type":"security_audit"${'x'.repeat(reads)}`);
  });

  it('copies a frame arriving in many small reads a bounded number of times, not once per read (no quadratic rejoining)', () => {
    const line = `<1>${'z'.repeat(100_000)}`;
    for (const bytes of [Buffer.from(`${line}\n`), Buffer.from(`${Buffer.byteLength(line)} ${line}`)]) {
      const reads: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 64) reads.push(bytes.subarray(i, i + 64));
      const f = new SyslogFramer(1 << 20);
      const concat = vi.spyOn(Buffer, 'concat');
      const from = vi.spyOn(Buffer, 'from');
      let got: string[] = [];
      try {
        for (const r of reads) got = got.concat(frames(f.push(r)));
        // Structural, not timed: what the framer copied, summed over every read.
        const copied = [...concat.mock.results, ...from.mock.results].reduce((n, r) => n + ((r.value as Buffer)?.length ?? 0), 0);
        expect(copied).toBeLessThanOrEqual(2 * bytes.length);
      } finally {
        concat.mockRestore();
        from.mockRestore();
      }
      expect(got).toEqual([line]);
    }
  });
});
