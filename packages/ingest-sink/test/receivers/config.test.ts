import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregatorOptionsFrom, mergeSettings, parseByteSize, parseHostPort, parseListenAddress, settingsFromEnv, settingsFromFile } from '../../src/receivers/config.js';
import { tempDir } from './helpers/real-sink.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { newCounters } from '../../src/receivers/counters.js';
import { startAggregator } from '../../src/receivers/aggregator.js';
import { startForwardServer } from '../../src/receivers/forward/server.js';
import { startSyslogServer } from '../../src/receivers/syslog/server.js';

describe('serve settings', () => {
  const tmp = tempDir('at-cfg-');
  afterAll(() => tmp.remove());

  it('parses HOST:PORT forms and refuses others', () => {
    expect(parseHostPort('0.0.0.0:24224', 'h', 'x')).toEqual({ host: '0.0.0.0', port: 24224 });
    expect(parseHostPort('[::1]:5140', 'h', 'x')).toEqual({ host: '::1', port: 5140 });
    expect(parseHostPort(':9880', 'h', 'x')).toEqual({ host: 'h', port: 9880 });
    expect(parseHostPort('24224', 'h', 'x')).toEqual({ host: 'h', port: 24224 });
    expect(() => parseHostPort('host:99999', 'h', '--forward')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => parseHostPort('nonsense', 'h', '--forward')).toThrow(/--forward must be HOST:PORT/);
  });

  it('reads tcp:// and tls:// before a receiver address, and refuses other schemes', () => {
    expect(parseListenAddress('tls://0.0.0.0:6514', 'h', 'x')).toEqual({ host: '0.0.0.0', port: 6514, transport: 'tls' });
    expect(parseListenAddress('TCP://:24224', 'h', 'x')).toEqual({ host: 'h', port: 24224, transport: 'tcp' });
    expect(parseListenAddress('[::1]:5140', 'h', 'x')).toEqual({ host: '::1', port: 5140 });
    expect(() => parseListenAddress('udp://0.0.0.0:514', 'h', '--syslog')).toThrow(/--syslog must be HOST:PORT, tcp:\/\/HOST:PORT or tls:\/\/HOST:PORT, got "udp:\/\/0.0.0.0:514"/);
    expect(() => parseListenAddress('tls://nonsense', 'h', '--syslog')).toThrow(/--syslog must be HOST:PORT/);
  });

  it('serves syslog over TLS with the TLS files when written tls://, forward over TLS unless written tcp://, and refuses TLS without a certificate', () => {
    const cert = join(tmp.dir, 'c.pem');
    const key = join(tmp.dir, 'k.pem');
    const ca = join(tmp.dir, 'ca.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nCERT\n');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nKEY\n');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nCA\n');
    const files = { db: 'sqlite:x.db', tlsCert: cert, tlsKey: key, tlsCa: ca };
    const tls = { cert: Buffer.from('-----BEGIN CERTIFICATE-----\nCERT\n'), key: Buffer.from('-----BEGIN PRIVATE KEY-----\nKEY\n'), ca: Buffer.from('-----BEGIN CERTIFICATE-----\nCA\n') };
    const both = aggregatorOptionsFrom({ ...files, syslog: 'tls://0.0.0.0:6514' });
    expect(both.forward.tls).toEqual(tls);
    expect(both.syslog).toEqual({ host: '0.0.0.0', port: 6514, tls });
    const syslogOnly = aggregatorOptionsFrom({ ...files, forward: 'tcp://0.0.0.0:24224', syslog: 'tls://:6514' });
    expect(syslogOnly.forward.tls).toBeUndefined();
    expect(syslogOnly.syslog?.tls).toEqual(tls);
    expect(aggregatorOptionsFrom({ ...files, syslog: ':5140' }).syslog).toEqual({ host: '0.0.0.0', port: 5140 });
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', syslog: 'tls://:6514' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: '--syslog tls://... needs a certificate and its key: --tls-cert (AUDIT_TRAIL_TLS_CERT, or tlsCert in a config file) and --tls-key (AUDIT_TRAIL_TLS_KEY, or tlsKey in a config file)' }));
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', forward: 'tls://:24224' })).toThrow(/--forward tls:\/\/\.\.\. needs a certificate/);
    expect(() => aggregatorOptionsFrom({ ...files, forward: 'tcp://:24224', syslog: ':5140' })).toThrow(/neither receiver uses it/);
    // Swapped files are named by their flag, before TLS gives "PEM routines::no start line".
    expect(() => aggregatorOptionsFrom({ ...files, tlsCert: key, tlsKey: cert })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: `--tls-cert ${key} does not hold a PEM certificate (-----BEGIN CERTIFICATE-----); are --tls-cert and --tls-key swapped?` }));
    expect(() => aggregatorOptionsFrom({ ...files, tlsKey: ca })).toThrow(/--tls-key .* does not hold a PEM private key/);
  });

  it('lets flags win over the environment, and the environment over the file', () => {
    const merged = mergeSettings({ forward: ':1' }, settingsFromEnv({ AUDIT_TRAIL_FORWARD: ':2', AUDIT_TRAIL_DB_URL: 'sqlite:env.db' }), { forward: ':3', db: 'sqlite:file.db', syslog: ':4' });
    expect(merged).toMatchObject({ forward: ':1', db: 'sqlite:env.db', syslog: ':4' });
  });

  it('reads every key of every shared key file (rotation) and the users file', () => {
    const a = join(tmp.dir, 'a');
    const b = join(tmp.dir, 'b');
    const users = join(tmp.dir, 'users');
    writeFileSync(a, 'key-one\n# comment\n\nkey-two\n');
    writeFileSync(b, 'key-three');
    writeFileSync(users, 'alice:pa:ss\n');
    const o = aggregatorOptionsFrom({ ...settingsFromEnv({ AUDIT_TRAIL_SHARED_KEY_FILE: `${a},${b}` }), db: 'sqlite:x.db', usersFile: users, selfHostname: 'agg' });
    expect(o.forward.security).toEqual({ selfHostname: 'agg', sharedKeys: ['key-one', 'key-two', 'key-three'], users: { alice: 'pa:ss' } });
    expect(o.forward).toMatchObject({ host: '0.0.0.0', port: 24224 });
    expect(o.health).toEqual({ host: '127.0.0.1', port: 9880 });
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', health: 'off' }).health).toBeUndefined();
  });

  it('refuses a shared key file or users file that holds no entry (empty, comments only) instead of starting without authentication', () => {
    const key = join(tmp.dir, 'one-key');
    writeFileSync(key, 'secret\n');
    for (const [name, text] of [['empty', ''], ['comments', '# rotate keys here\n\n']] as const) {
      const f = join(tmp.dir, name);
      writeFileSync(f, text);
      expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key, f] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/shared key file .* holds no key/) }));
      expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key], usersFile: f })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/users file .* holds no user/) }));
    }
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key] }).forward.security?.sharedKeys).toEqual(['secret']);
  });

  it('refuses a key, users, TLS or config file that is not a regular file (/dev/zero) or is over its limit (1 MiB; 4 MiB for users and PEM files), naming it and the limit', () => {
    const key = join(tmp.dir, 'limit-key');
    writeFileSync(key, 'secret\n');
    const bigKey = join(tmp.dir, 'big-key');
    writeFileSync(bigKey, `secret\n${'#'.repeat(1024 * 1024)}\n`);
    const bigUsers = join(tmp.dir, 'big-users');
    writeFileSync(bigUsers, `alice:pw\n${'#'.repeat(4 * 1024 * 1024)}\n`);
    const bigPem = join(tmp.dir, 'big.pem');
    writeFileSync(bigPem, `-----BEGIN CERTIFICATE-----\n${'A'.repeat(4 * 1024 * 1024)}\n`);
    const pemKey = join(tmp.dir, 'limit-k.pem');
    writeFileSync(pemKey, '-----BEGIN PRIVATE KEY-----\nKEY\n');
    const bigConfig = join(tmp.dir, 'big.json');
    writeFileSync(bigConfig, `{"db": "sqlite:x.db"}${' '.repeat(1024 * 1024)}`);
    const device = (what: string) => `${what} /dev/zero is a character device, not a regular file: refusing to read it`;
    const over = (what: string, file: string, limit: string) => `${what} ${file} is larger than the limit of ${limit}: refusing to read it`;
    const cases: [() => unknown, string][] = [
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: ['/dev/zero'] }), device('shared key file')],
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [bigKey] }), over('shared key file', bigKey, '1048576 bytes (1 MiB)')],
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key], usersFile: '/dev/zero' }), device('users file')],
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key], usersFile: bigUsers }), over('users file', bigUsers, '4194304 bytes (4 MiB)')],
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', tlsCert: '/dev/zero', tlsKey: pemKey }), device('TLS certificate')],
      [() => aggregatorOptionsFrom({ db: 'sqlite:x.db', tlsCert: bigPem, tlsKey: pemKey }), over('TLS certificate', bigPem, '4194304 bytes (4 MiB)')],
      [() => settingsFromFile('/dev/zero'), device('config file')],
      [() => settingsFromFile(bigConfig), over('config file', bigConfig, '1048576 bytes (1 MiB)')],
    ];
    for (const [call, message] of cases) expect(call, message).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'CONFIG_FILE_UNREADABLE', message }));
    // Within the limits, read as before.
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key] }).forward.security?.sharedKeys).toEqual(['secret']);
  });

  it('refuses a config file with unknown keys or invalid JSON, with a typed error', () => {
    const f = join(tmp.dir, 'c.json');
    writeFileSync(f, '{"db": "sqlite:x.db", "sharedKey": "inline secrets are not allowed"}');
    expect(() => settingsFromFile(f)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    writeFileSync(f, '{');
    expect(() => settingsFromFile(f)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => settingsFromFile(join(tmp.dir, 'nope.json'))).toThrow(expect.objectContaining({ code: 'CONFIG_FILE_UNREADABLE' }));
    expect(() => aggregatorOptionsFrom({})).toThrow(/--db/);
  });

  it('names the config file and its key, not the flag, for a value it holds that cannot be used (found by a probe)', () => {
    const f = join(tmp.dir, 'values.json');
    for (const [value, message] of [
      ['{"spoolMaxBytes": "1GB"}', `config file ${f}: spoolMaxBytes must be a whole number of bytes, or one with KiB, MiB or GiB`],
      ['{"health": "127.0.0.1:99999"}', `config file ${f}: health must be HOST:PORT, got "127.0.0.1:99999"`],
      ['{"forward": "udp://0.0.0.0:24224"}', `config file ${f}: forward must be HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`],
      ['{"syslog": "nonsense"}', `config file ${f}: syslog must be`],
    ] as [string, string][]) {
      writeFileSync(f, value);
      expect(() => settingsFromFile(f), value).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
    }
    writeFileSync(f, '{"health": "off", "spoolMaxBytes": "512MiB", "forward": "tls://0.0.0.0:24224"}');
    expect(settingsFromFile(f)).toEqual({ health: 'off', spoolMaxBytes: '512MiB', forward: 'tls://0.0.0.0:24224' });
  });

  it('reads a config file that starts with a UTF-8 byte order mark (Windows editors save one; it was refused as "Unexpected token", found by a probe)', () => {
    const f = join(tmp.dir, 'bom.json');
    writeFileSync(f, '\uFEFF{"db": "sqlite:x.db", "forward": "127.0.0.1:24224"}');
    expect(settingsFromFile(f)).toEqual({ db: 'sqlite:x.db', forward: '127.0.0.1:24224' });
  });

  it('reads a shared key file and a users file that start with a UTF-8 byte order mark as the config file is read: the mark was part of the first key and user, so every handshake with them failed (found by a review)', () => {
    const key = join(tmp.dir, 'bom-key');
    const users = join(tmp.dir, 'bom-users');
    writeFileSync(key, '\uFEFFkey-one\r\nkey-two\r\n');
    writeFileSync(users, '\uFEFFalice:pw\r\n');
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key], usersFile: users, selfHostname: 'agg' }).forward.security).toEqual({ selfHostname: 'agg', sharedKeys: ['key-one', 'key-two'], users: { alice: 'pw' } });
    // A file whose first line is a comment is read so too.
    writeFileSync(key, '\uFEFF# rotated 2026-12\nkey-three\n');
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [key] }).forward.security?.sharedKeys).toEqual(['key-three']);
  });

  it('never repeats a shared key or a users line given in place of its file name (found by a probe)', () => {
    const key = 'KEYMARKrV0u1ViyS1hN3m0Wq+3e4QkqB8bV9g2F6k7Yx0Zs1TqWcE9a1Bn2Lp3Ok=';
    const cases: [Parameters<typeof aggregatorOptionsFrom>[0], string][] = [
      // `openssl rand -base64 48`, the deploy examples' key, in AUDIT_TRAIL_SHARED_KEY_FILE itself.
      [{ db: 'sqlite:x.db', sharedKeyFiles: [key] }, 'KEYMARK'],
      [{ db: 'sqlite:x.db', sharedKeyFiles: [join(tmp.dir, 'k')], usersFile: 'alice:PWMARK_93x' }, 'PWMARK'],
    ];
    writeFileSync(join(tmp.dir, 'k'), 'a-shared-key\n');
    for (const [settings, marker] of cases) {
      let err: unknown;
      try {
        aggregatorOptionsFrom(settings);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'CONFIG_FILE_UNREADABLE', message: expect.stringContaining('not shown: pass a file holding it') });
      expect((err as Error).message).not.toContain(marker);
    }
    // A file name is still named.
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: ['/run/secrets/missing_key'] })).toThrow('cannot read shared key file /run/secrets/missing_key: no such file or directory (ENOENT)');
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', sharedKeyFiles: [join(tmp.dir, 'k')], usersFile: './users:prod' })).toThrow('cannot read users file ./users:prod: no such file or directory (ENOENT)');
  });

  it('never repeats the database password of a config file it refuses: db of another type, or JSON broken near it (found by a probe)', () => {
    const f = join(tmp.dir, 'pw.json');
    for (const text of [
      // db written as the sink's connection object, or as an object holding the URL: the type error quoted 40 characters of it.
      '{"db": {"password": "PWMARK_93x", "host": "db"}}',
      '{"db": {"url": "postgres://u:PWMARK_93x@h/db"}}',
      // A `"` left unescaped in the password: V8 quotes ten characters either side of the mistake.
      '{"db": "postgres://audit:PWMA"RK_93x@db.internal:5432/audit", "forward": ":24224"}',
      // A short text is quoted whole.
      '{"db": PWMARK_93x}',
    ]) {
      writeFileSync(f, text);
      let err: unknown;
      try {
        settingsFromFile(f);
      } catch (e) {
        err = e;
      }
      expect(err, text).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((err as Error).message, text).not.toMatch(/PWMA|RK_93x/);
    }
    writeFileSync(f, '{"db": "sqlite:x.db",,}');
    expect(() => settingsFromFile(f)).toThrow(/is not JSON: .*position 21/);
  });

  it('refuses a config file value of the wrong JSON type, naming the key and the type it takes (it crashed with "value.trim is not a function", or read a key from stdin)', () => {
    const f = join(tmp.dir, 'types.json');
    const cases: [Record<string, unknown>, string][] = [
      [{ forward: 0 }, 'forward must be a string, got a number (0)'],
      [{ health: false }, 'health must be a string, got a boolean (false)'],
      [{ db: null }, 'db must be a string, got null'],
      [{ tlsCert: ['a.pem'] }, 'tlsCert must be a string, got an array (["a.pem"])'],
      [{ heapGrowingPercent: true }, 'heapGrowingPercent must be a number or a string, got a boolean (true)'],
      [{ spoolMaxBytes: {} }, 'spoolMaxBytes must be a number or a string, got an object ({})'],
      [{ sharedKeyFiles: 'k' }, 'sharedKeyFiles must be an array of non-empty strings (file names), got a string ("k")'],
      // A number is a file descriptor to readFileSync: 0 read the key from stdin.
      [{ sharedKeyFiles: [0] }, 'sharedKeyFiles must be an array of non-empty strings (file names), got an array ([0])'],
      [{ sharedKeyFiles: [''] }, 'sharedKeyFiles must be an array of non-empty strings (file names), got an array ([""])'],
    ];
    for (const [settings, message] of cases) {
      writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', ...settings }));
      expect(() => settingsFromFile(f), message).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'CONFIG_INVALID', message: `config file ${f}: ${message}` }));
    }
    // The types they take are still taken.
    writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', forward: '127.0.0.1:0', health: 'off', heapGrowingPercent: 0, spoolMaxBytes: '2 MiB', sharedKeyFiles: ['k'] }));
    expect(settingsFromFile(f)).toEqual({ db: 'sqlite:x.db', forward: '127.0.0.1:0', health: 'off', heapGrowingPercent: 0, spoolMaxBytes: '2 MiB', sharedKeyFiles: ['k'] });
  });

  it('passes syslogLimits from the config file to the syslog receiver, and refuses unknown keys or bad values', () => {
    const f = join(tmp.dir, 'syslog.json');
    writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', syslog: ':5140', syslogLimits: { closeTimeoutMs: 25_000, maxUdpBufferedBytes: 1_048_576 } }));
    expect(aggregatorOptionsFrom(settingsFromFile(f)).syslog).toEqual({ host: '0.0.0.0', port: 5140, closeTimeoutMs: 25_000, maxUdpBufferedBytes: 1_048_576 });
    writeFileSync(f, JSON.stringify({ syslogLimits: { closeTimeout: 5 } }));
    expect(() => settingsFromFile(f)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/syslogLimits.closeTimeout is not a limit \(expected maxFrameBytes, maxConnections, maxUdpBufferedBytes, maxBufferedBytes, closeTimeoutMs, idleTimeoutMs\)/) }));
    writeFileSync(f, JSON.stringify({ syslogLimits: { maxConnections: -1 } }));
    expect(() => settingsFromFile(f)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/syslogLimits.maxConnections must be a whole number from 1 to \d+ \(got -1\)/) }));
  });

  it('refuses forward limits a connection would crash on (a negative or string idleTimeoutMs), or a misspelt one, when the file is read and when a receiver starts', async () => {
    const f = join(tmp.dir, 'limits.json');
    for (const [limits, message] of [
      [{ idleTimeoutMs: -1 }, /limits.idleTimeoutMs must be a whole number from 1 to 2147483647 \(got -1\)/],
      [{ idleTimeoutMs: '300000' }, /limits.idleTimeoutMs must be a whole number from 1 to 2147483647 \(got "300000"\)/],
      [{ maxInflightRequests: 0 }, /limits.maxInflightRequests must be a whole number/],
      [{ idleTimeoutMS: 1000 }, /limits.idleTimeoutMS is not a limit/],
    ] as const) {
      writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', limits }));
      expect(() => settingsFromFile(f), JSON.stringify(limits)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) }));
      await expect(startForwardServer({ port: 0, limits: limits as never }, { sink: new RecordingSink(), counters: newCounters(), normalizer: null as never, log: () => undefined })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(message) });
    }
    await expect(startSyslogServer({ port: 0, maxFrameByte: 5 } as never, { sink: new RecordingSink(), counters: newCounters(), log: () => undefined })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^syslog.maxFrameByte is not a limit/) });
  });

  it('refuses aggregator options it cannot run with before it opens the sink: no sink, a misspelt security key, a tag template or tag list of the wrong type', async () => {
    const db = join(tmp.dir, 'never-created.db');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ forward: { port: 0 } }, /^sink must be a database URL or an object with write\(\)/],
      [{ sink: `sqlite:${db}`, forward: { port: 0, security: { selfHostname: 'agg', sharedKey: ['k'] } } }, /^forward.security.sharedKey is not a setting \(expected selfHostname, sharedKeys, users\)$/],
      [{ sink: `sqlite:${db}`, forward: { port: 0, security: { selfHostname: 'agg', sharedKeys: [] } } }, /^forward.security.sharedKeys must be a non-empty array/],
      [{ sink: `sqlite:${db}`, forward: { port: 0 }, tagTemplate: 5 }, /^tagTemplate must be a non-empty string$/],
      [{ sink: `sqlite:${db}`, forward: { port: 0 }, containerEventTags: 'docker.events' }, /^containerEventTags must be an array of non-empty strings/],
      [{ sink: `sqlite:${db}`, forward: { port: 0 }, syslog: { port: 0, maxFrameByte: 10 } }, /^syslog.maxFrameByte is not a limit/],
    ];
    for (const [options, message] of cases) {
      await expect(startAggregator(options as never), JSON.stringify(options)).rejects.toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
    }
    expect(existsSync(db)).toBe(false);
  });

  it('takes containerEventTags from a flag list, the environment (comma-separated) or the config file, and refuses a bad file value', () => {
    expect(settingsFromEnv({ AUDIT_TRAIL_CONTAINER_EVENT_TAGS: 'docker.events,falco' }).containerEventTags).toEqual(['docker.events', 'falco']);
    // Spaces after the commas are trimmed: " falco" matched no tag, and Falco's alerts became rejects (found by a probe).
    expect(settingsFromEnv({ AUDIT_TRAIL_CONTAINER_EVENT_TAGS: 'docker.events, falco ,' }).containerEventTags).toEqual(['docker.events', 'falco']);
    expect(settingsFromEnv({ AUDIT_TRAIL_SHARED_KEY_FILE: '/run/secrets/a, /run/secrets/b' }).sharedKeyFiles).toEqual(['/run/secrets/a', '/run/secrets/b']);
    const f = join(tmp.dir, 'tags.json');
    writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', containerEventTags: ['swarm.audit.*.collector.*'] }));
    expect(aggregatorOptionsFrom(settingsFromFile(f)).containerEventTags).toEqual(['swarm.audit.*.collector.*']);
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db' })).not.toHaveProperty('containerEventTags');
    writeFileSync(f, JSON.stringify({ containerEventTags: 'docker.events' }));
    expect(() => settingsFromFile(f)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/containerEventTags must be an array/) }));
  });

  it('passes the spool directory and size limit to the sink, from a flag, the environment or the file, in binary units only', () => {
    expect(settingsFromEnv({ AUDIT_TRAIL_SPOOL: '/var/lib/audit-trail/spool', AUDIT_TRAIL_SPOOL_MAX_BYTES: '2GiB' })).toEqual({ spool: '/var/lib/audit-trail/spool', spoolMaxBytes: '2GiB' });
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db', spool: '/data/spool', spoolMaxBytes: '512 MiB' }).sinkOptions).toEqual({ spool: { dir: '/data/spool', maxBytes: 512 * 1024 ** 2 } });
    const f = join(tmp.dir, 'spool.json');
    writeFileSync(f, JSON.stringify({ db: 'sqlite:x.db', spoolMaxBytes: 8388608 }));
    expect(aggregatorOptionsFrom(settingsFromFile(f)).sinkOptions).toEqual({ spool: { maxBytes: 8388608 } });
    // Neither given: the sink's defaults, no sinkOptions at all.
    expect(aggregatorOptionsFrom({ db: 'sqlite:x.db' })).not.toHaveProperty('sinkOptions');
    expect([parseByteSize('4096', 'x'), parseByteSize('3kib', 'x'), parseByteSize(' 1 GiB ', 'x')]).toEqual([4096, 3072, 1024 ** 3]);
    for (const bad of ['512MB', '1.5GiB', '-1', '', 'lots', '1e9', '9007199254740993', '99999999999GiB']) {
      expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', spoolMaxBytes: bad }), bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^--spool-max-bytes must be a whole number of bytes/) }));
    }
    // Below 1 MiB every ack would wait for a commit: refused, not taken.
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', spoolMaxBytes: '1023KiB' })).toThrow(/of at least 1048576 \(got "1023KiB"\)/);
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', spool: '' })).toThrow(/--spool must be a directory path/);
    expect(() => aggregatorOptionsFrom({ db: 'sqlite:x.db', spool: 5 as never })).toThrow(/--spool must be a directory path/);
  });
});
