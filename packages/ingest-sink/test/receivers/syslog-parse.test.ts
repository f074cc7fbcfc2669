import { describe, expect, it } from 'vitest';
import { SyslogFramer } from '../../src/receivers/syslog/framing.js';
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

  it('throws typed errors for a missing or out-of-range PRI and broken structured data', () => {
    expect(() => parseSyslog('hello')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
    expect(() => parseSyslog('<999>1 - - - - - -')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
    expect(() => parseSyslog('<1>1 - - - - - [x a="unterminated]')).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
  });
});

describe('syslog TCP framing (RFC 6587)', () => {
  it('splits octet-counted and LF-framed messages across arbitrary reads', () => {
    const f = new SyslogFramer(1000);
    const stream = Buffer.from('12 <1>1 - - - a<2>LF framed\r\n14 <3>1 - - - - -');
    const frames: string[] = [];
    for (const b of stream) frames.push(...f.push(Buffer.from([b])).map((x) => x.toString()));
    expect(frames).toEqual(['<1>1 - - - a', '<2>LF framed', '<3>1 - - - - -']);
  });

  it('keeps newlines inside octet-counted frames', () => {
    const f = new SyslogFramer(1000);
    expect(f.push(Buffer.from('5 a\nb\nc')).map(String)).toEqual(['a\nb\nc']);
  });

  it('refuses oversized frames and bad counts', () => {
    expect(() => new SyslogFramer(10).push(Buffer.from('100 <1>'))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(() => new SyslogFramer(10).push(Buffer.from('<1>'.padEnd(20, 'x')))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(() => new SyslogFramer(10).push(Buffer.from('12x <1>'))).toThrow(expect.objectContaining({ code: 'SYSLOG_INVALID' }));
  });
});
