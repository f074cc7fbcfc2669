import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from './constants.js';
import { exampleEvents } from './examples.js';
import { parseAuditEvent } from './parse.js';

type Mutable = Record<string, any>;
const clone = (type: keyof typeof exampleEvents): Mutable => structuredClone(exampleEvents[type]) as Mutable;
const auth = () => clone('WEBAUTHN_AUTH_FAILURE');
const exec = () => clone('CONTAINER_EXEC');

/** [name, input, expected issue path, expected message]. */
type BadCase = [string, unknown, string, RegExp];

const with_ = (base: Mutable, patch: (e: Mutable) => void): Mutable => {
  patch(base);
  return base;
};

const BAD: BadCase[] = [
  // Not an object at all.
  ['null', null, '', /expected a JSON object, received null/],
  ['an array', [auth()], '', /received array/],
  ['a number', 42, '', /received number/],
  ['invalid JSON text', '{"event_type":', '', /not valid JSON/],
  ['JSON text over 2 MiB', `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`, '', /limit is 2097152/],
  // event_type
  ['unknown event_type', with_(auth(), (e) => (e.event_type = 'WEBAUTHN_MAGIC')), 'event_type', /unknown event_type "WEBAUTHN_MAGIC"; expected one of WEBAUTHN_REG_SUCCESS/],
  ['missing event_type', with_(auth(), (e) => delete e.event_type), 'event_type', /^event_type is missing; expected one of WEBAUTHN_REG_SUCCESS, /],
  ['null event_type', with_(auth(), (e) => (e.event_type = null)), 'event_type', /^unknown event_type object; expected one of /],
  ['JSON text with no event_type (an access log line)', '{"msg":"GET / 200","level":30}', 'event_type', /^event_type is missing; expected one of /],
  ['numeric event_type', with_(auth(), (e) => (e.event_type = 7)), 'event_type', /unknown event_type number/],
  ['event_type over 50 characters', with_(auth(), (e) => (e.event_type = 'WEBAUTHN_AUTH_FAILURE'.repeat(3))), 'event_type', /unknown event_type/],
  ['event_type with an ANSI escape', with_(auth(), (e) => (e.event_type = '\u001b[31mWEBAUTHN_AUTH_FAILURE')), 'event_type', /unknown event_type "\[31mWEBAUTHN/],
  // Envelope
  ['UUIDv4 event_id', with_(auth(), (e) => (e.event_id = '3b241101-e2bb-4255-8caf-4136c566a962')), 'event_id', /UUIDv7/],
  ['uppercase event_id', with_(auth(), (e) => (e.event_id = e.event_id.toUpperCase())), 'event_id', /UUIDv7/],
  ['numeric event_id', with_(auth(), (e) => (e.event_id = 1)), 'event_id', /expected string, received number/],
  ['missing log_type', with_(auth(), (e) => delete e.log_type), 'log_type', /required field is missing \(expected "security_audit"\)/],
  ['wrong log_type', with_(auth(), (e) => (e.log_type = 'app')), 'log_type', /security_audit/],
  ['schema_version 2.x', with_(auth(), (e) => (e.schema_version = '2.0.0')), 'schema_version', /1\.x\.y/],
  ['event_time with an offset', with_(auth(), (e) => (e.event_time = '2026-11-20T10:00:04+01:00')), 'event_time', /UTC time ending in Z/],
  ['event_time not a date', with_(auth(), (e) => (e.event_time = 'yesterday')), 'event_time', /RFC 3339 UTC time/],
  // RFC 3339 allows year 0000; PostgreSQL's TIMESTAMPTZ and SQL Server's DATETIME2 do not.
  ['event_time in year 0000', with_(auth(), (e) => (e.event_time = '0000-01-01T00:00:00Z')), 'event_time', /year 0000 cannot be stored/],
  ['success outcome on a failure event', with_(auth(), (e) => (e.outcome = 'success')), 'outcome', /failure/],
  ['severity 7', with_(auth(), (e) => (e.severity = 7)), 'severity', /<=6/],
  ['float severity', with_(auth(), (e) => (e.severity = 3.5)), 'severity', /expected int/],
  ['severity as text', with_(auth(), (e) => (e.severity = '3')), 'severity', /expected number, received string/],
  ['missing producer', with_(auth(), (e) => delete e.producer), 'producer', /required field is missing \(expected object\)/],
  ['empty producer.service', with_(auth(), (e) => (e.producer.service = '')), 'producer.service', />=1 characters/],
  ['newline in producer.service', with_(auth(), (e) => (e.producer.service = 'api\nlevel=info forged')), 'producer.service', /control characters/],
  ['ANSI escape in user_id', with_(auth(), (e) => (e.user_id = 'u_1\u001b[2J')), 'user_id', /control characters/],
  ['NUL in user_id', with_(auth(), (e) => (e.user_id = 'u_1\u0000admin')), 'user_id', /control characters/],
  ['lone surrogate in user_id', with_(auth(), (e) => (e.user_id = 'u_\ud800')), 'user_id', /lone surrogate/],
  ['U+2028 in user_id', with_(auth(), (e) => (e.user_id = 'u_1\u2028x')), 'user_id', /line separators/],
  ['user_id over 256 characters', with_(auth(), (e) => (e.user_id = 'u'.repeat(257))), 'user_id', /<=256 characters/],
  // 129 code points (zod's .max() counts those) but 258 UTF-16 units: SQL Server's NVARCHAR(256) refused the row.
  ['user_id of 129 astral characters (258 UTF-16 units)', with_(auth(), (e) => (e.user_id = '\u{1F600}'.repeat(129))), 'user_id', /at most 256 UTF-16 code units/],
  ['container.image over 512 UTF-16 units by one pair', with_(exec(), (e) => (e.container.image = `${'i'.repeat(511)}\u{1F600}`)), 'container.image', /at most 512 UTF-16 code units/],
  ['client_ip out of range', with_(auth(), (e) => (e.client_ip = '999.1.1.1')), 'client_ip', /IP/i],
  ['client_ip with a port', with_(auth(), (e) => (e.client_ip = '203.0.113.42:443')), 'client_ip', /IP/i],
  ['client_ip with a zone id', with_(auth(), (e) => (e.client_ip = 'fe80::1%eth0')), 'client_ip', /IP/i],
  ['client_ip as SQL', with_(auth(), (e) => (e.client_ip = "1.1.1.1' OR '1'='1")), 'client_ip', /IP/i],
  ['numeric peer_ip', with_(auth(), (e) => (e.peer_ip = 3232235777)), 'peer_ip', /IP|string/i],
  ['unknown client_ip_source', with_(auth(), (e) => (e.client_ip_source = 'header')), 'client_ip_source', /socket/],
  ['non-boolean user_agent_truncated', with_(auth(), (e) => (e.user_agent_truncated = 'yes')), 'user_agent_truncated', /expected boolean/],
  ['bad runtime.container_id', with_(auth(), (e) => (e.runtime.container_id = 'XYZ')), 'runtime.container_id', /hex/],
  ['CRLF in runtime.swarm_node', with_(auth(), (e) => (e.runtime.swarm_node = 'node-a\r\nnode-b')), 'runtime.swarm_node', /control characters/],
  ['unknown runtime key', with_(auth(), (e) => (e.runtime.cluster = 'x')), 'runtime.cluster', /unknown field "cluster"/],
  ['unknown top-level key', with_(auth(), (e) => (e.is_admin = true)), 'is_admin', /unknown field "is_admin"/],
  ['bad trace id', with_(auth(), (e) => (e.correlation.trace_id = 'abc')), 'correlation.trace_id', /W3C trace id/],
  // Prototype pollution keys arrive as JSON text; they must stay plain (rejected) keys.
  ['__proto__ key', JSON.stringify(auth()).replace(/^\{/, '{"__proto__":{"polluted":true},'), '__proto__', /unknown field "__proto__"/],
  ['constructor key', with_(auth(), (e) => (e['constructor'] = { prototype: { polluted: true } } as never)), 'constructor', /unknown field "constructor"/],
  ['nested __proto__ key', JSON.stringify(auth()).replace('"webauthn":{', '"webauthn":{"__proto__":{"x":1},'), 'webauthn.__proto__', /unknown field "__proto__"/],
  // Error
  ['failure without error', with_(auth(), (e) => delete e.error), 'error', /required field is missing/],
  ['lowercase error.code', with_(auth(), (e) => (e.error.code = 'bad code')), 'error.code', /UPPER_SNAKE_CASE/],
  ['numeric error.message', with_(auth(), (e) => (e.error.message = 404)), 'error.message', /expected string/],
  // WebAuthn
  ['credential_id not base64url', with_(auth(), (e) => (e.webauthn.credential_id = 'ab+/c==')), 'webauthn.credential_id', /base64url/],
  ['credential_id over 1023 bytes', with_(auth(), (e) => (e.webauthn.credential_id = 'A'.repeat(1365))), 'webauthn.credential_id', /1023 bytes/],
  // RFC 4648 §5: 4k+1 base64url characters encode no whole number of bytes; no encoder writes them.
  ['credential_id of 1 character', with_(auth(), (e) => (e.webauthn.credential_id = 'A')), 'webauthn.credential_id', /4k\+1 characters/],
  ['credential_id of 5 characters', with_(auth(), (e) => (e.webauthn.credential_id = 'AAECA')), 'webauthn.credential_id', /4k\+1 characters/],
  ['credential_id of 1361 characters (within 1364)', with_(auth(), (e) => (e.webauthn.credential_id = 'A'.repeat(1361))), 'webauthn.credential_id', /4k\+1 characters/],
  ['negative sign_count', with_(auth(), (e) => (e.webauthn.sign_count = -1)), 'webauthn.sign_count', />=0/],
  ['sign_count over uint32', with_(auth(), (e) => (e.webauthn.sign_count = 2 ** 32)), 'webauthn.sign_count', /<=4294967295/],
  ['float sign_count', with_(auth(), (e) => (e.webauthn.sign_count = 1.5)), 'webauthn.sign_count', /expected int/],
  ['sign_count as text', with_(auth(), (e) => (e.webauthn.sign_count = '17')), 'webauthn.sign_count', /expected number/],
  ['unknown failure_stage', with_(auth(), (e) => (e.webauthn.failure_stage = 'bogus')), 'webauthn.failure_stage', /expected one of/],
  ['bad aaguid', with_(auth(), (e) => (e.webauthn.aaguid = 'not-a-uuid')), 'webauthn.aaguid', /UUID/],
  ['17 transports', with_(auth(), (e) => (e.webauthn.transports = Array(17).fill('usb'))), 'webauthn.transports', /<=16 items/],
  ['newline in a transport', with_(auth(), (e) => (e.webauthn.transports = ['usb\n'])), 'webauthn.transports[0]', /control characters/],
  ['registration without user_id', with_(clone('WEBAUTHN_REG_SUCCESS'), (e) => delete e.user_id), 'user_id', /required field is missing/],
  ['counter regression with an invalid signature', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => (e.webauthn.signature_valid = false)), 'webauthn.signature_valid', /true/],
  // WebAuthn L3 §7.2 step 22: a regression is a signCount not above the stored one, not both 0.
  ['counter regression whose counter increased', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => Object.assign(e.webauthn, { sign_count: 58, stored_sign_count: 57 })), 'webauthn.sign_count', /greater than stored_sign_count 57: no counter regression \(WebAuthn L3 §7\.2 step 22/],
  ['counter regression from 0 to 1', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => Object.assign(e.webauthn, { sign_count: 1, stored_sign_count: 0 })), 'webauthn.sign_count', /no counter regression/],
  ['counter regression at the uint32 top, increased', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => Object.assign(e.webauthn, { sign_count: 2 ** 32 - 1, stored_sign_count: 2 ** 32 - 2 })), 'webauthn.sign_count', /no counter regression/],
  ['counter regression with both counters 0 (no counter)', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => Object.assign(e.webauthn, { sign_count: 0, stored_sign_count: 0 })), 'webauthn.sign_count', /both 0, an authenticator without a counter.*§6\.1\.1/],
  ['counter regression with counter_status increased', with_(clone('WEBAUTHN_COUNTER_REGRESSION'), (e) => (e.webauthn.counter_status = 'increased')), 'webauthn.counter_status', /not_increased/],
  // Any WebAuthn event's counter_status is what its counters give (counterStatusOf; WebAuthn L3 §6.1.1, §7.2 step 22).
  ['sign-in whose counter_status increased has sign_count equal to the stored one', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => (e.webauthn.sign_count = e.webauthn.stored_sign_count)), 'webauthn.counter_status', /^is increased, but sign_count 4294967289 with stored_sign_count 4294967289 is not_increased: increased means sign_count is greater than stored_sign_count \(WebAuthn L3 §7\.2 step 22\)$/],
  ['sign-in whose counter_status zero_unsupported has nonzero counters', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => (e.webauthn.counter_status = 'zero_unsupported')), 'webauthn.counter_status', /is increased: zero_unsupported means .* both 0, an authenticator without a counter \(WebAuthn L3 §6\.1\.1\)/],
  ['sign-in whose counter_status not_increased has an increased counter', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => (e.webauthn.counter_status = 'not_increased')), 'webauthn.counter_status', /is not_increased, but .* is increased: not_increased means sign_count is not greater than stored_sign_count and not both are 0/],
  ['sign-in whose counter_status increased has both counters 0', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => Object.assign(e.webauthn, { sign_count: 0, stored_sign_count: 0 })), 'webauthn.counter_status', /is increased, but sign_count 0 with stored_sign_count 0 is zero_unsupported/],
  ['sign-in whose counter_status increased has sign_count 0 and no stored one', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => (delete e.webauthn.stored_sign_count, (e.webauthn.sign_count = 0))), 'webauthn.counter_status', /^is increased, which no stored_sign_count gives with sign_count 0: increased means/],
  ['sign-in whose counter_status zero_unsupported has sign_count 5 and no stored one', with_(clone('WEBAUTHN_AUTH_SUCCESS'), (e) => (delete e.webauthn.stored_sign_count, Object.assign(e.webauthn, { sign_count: 5, counter_status: 'zero_unsupported' }))), 'webauthn.counter_status', /which no stored_sign_count gives with sign_count 5: zero_unsupported means/],
  ['failed sign-in whose counter_status not_increased has stored_sign_count 0', with_(auth(), (e) => (delete e.webauthn.sign_count, Object.assign(e.webauthn, { stored_sign_count: 0, counter_status: 'not_increased' }))), 'webauthn.counter_status', /^is not_increased, which no sign_count gives with stored_sign_count 0: /],
  ['failed sign-in whose counter_status increased has stored_sign_count at the uint32 top', with_(auth(), (e) => (delete e.webauthn.sign_count, Object.assign(e.webauthn, { stored_sign_count: 2 ** 32 - 1, counter_status: 'increased' }))), 'webauthn.counter_status', /which no sign_count gives with stored_sign_count 4294967295/],
  ['failed sign-in whose counter_status contradicts its counters', with_(auth(), (e) => (e.webauthn.counter_status = 'not_increased')), 'webauthn.counter_status', /sign_count 17 with stored_sign_count 16 is increased/],
  ['registration whose counter_status contradicts its counters', with_(clone('WEBAUTHN_REG_SUCCESS'), (e) => Object.assign(e.webauthn, { sign_count: 0, stored_sign_count: 0, counter_status: 'increased' })), 'webauthn.counter_status', /is zero_unsupported/],
  ['failed registration whose counter_status contradicts its counters', with_(clone('WEBAUTHN_REG_FAILURE'), (e) => Object.assign(e.webauthn, { sign_count: 1, stored_sign_count: 0, counter_status: 'zero_unsupported' })), 'webauthn.counter_status', /is increased/],
  // Integrity
  ['seq 0', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.seq = 0)), 'integrity.seq', />=1/],
  ['short mac', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.mac = 'abc')), 'integrity.mac', /43 characters/],
  // prev is '' at seq 1 and the previous record's 43-character mac after it (docs/integrity.md).
  ['prev of 42 characters', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.prev = e.integrity.prev.slice(1))), 'integrity.prev', /'' \(seq 1\) or the previous record's mac/],
  ['prev of 1 character', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.prev = 'A')), 'integrity.prev', /43 characters/],
  ['prev of 44 characters', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.prev += 'A')), 'integrity.prev', /43 characters/],
  ['prev with a trailing newline', with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.prev = `${e.integrity.prev.slice(1)}\n`)), 'integrity.prev', /43 characters/],
  ["empty prev after seq 1", with_(clone('AUDIT_CHECKPOINT'), (e) => (e.integrity.prev = '')), 'integrity.prev', /must be the mac of seq 1 \(43 characters\), not ''/],
  ['a mac as prev at seq 1', with_(clone('AUDIT_CHAIN_OPEN'), (e) => (e.integrity.prev = exampleEvents.AUDIT_CHECKPOINT.integrity.mac)), 'integrity.prev', /must be '' at seq 1/],
  ['chain record without integrity', with_(clone('AUDIT_CHAIN_OPEN'), (e) => delete e.integrity), 'integrity', /required field is missing/],
  ['zero checkpoint interval', with_(clone('AUDIT_CHAIN_OPEN'), (e) => (e.chain.checkpoint_interval_ms = 0)), 'chain.checkpoint_interval_ms', />=1/],
  ['51 violation issues', with_(clone('AUDIT_SCHEMA_VIOLATION'), (e) => (e.violation.issues = Array(51).fill({ path: 'a', message: 'b' }))), 'violation.issues', /<=50 items/],
  // Containers
  ['uppercase container.id', with_(exec(), (e) => (e.container.id = 'ABCDEF123456')), 'container.id', /hex/],
  ['NUL in container.image', with_(exec(), (e) => (e.container.image = 'nginx\u0000:latest')), 'container.image', /control characters/],
  ['exec without process', with_(exec(), (e) => delete e.process), 'process', /required field is missing/],
  ['unknown detector', with_(exec(), (e) => (e.detector.name = 'splunk')), 'detector.name', /expected one of/],
  ['float pid', with_(exec(), (e) => (e.process.pid = 12.5)), 'process.pid', /expected int/],
  ['privileged event not privileged', with_(clone('CONTAINER_PRIVILEGED'), (e) => (e.container.privileged = false)), 'container.privileged', /true/],
  ['float exit code', with_(clone('CONTAINER_STOP'), (e) => (e.lifecycle.exit_code = 1.5)), 'lifecycle.exit_code', /expected int/],
  // A start's action is a start action (create, start, restart), a stop's a stop action.
  ['CONTAINER_START with action stop', with_(clone('CONTAINER_START'), (e) => (e.lifecycle.action = 'stop')), 'lifecycle.action', /one of create, start, restart in a CONTAINER_START/],
  ['CONTAINER_START with action oom', with_(clone('CONTAINER_START'), (e) => (e.lifecycle.action = 'oom')), 'lifecycle.action', /CONTAINER_STOP's/],
  ['CONTAINER_STOP with action start', with_(clone('CONTAINER_STOP'), (e) => (e.lifecycle.action = 'start')), 'lifecycle.action', /one of die, stop, kill, destroy, oom in a CONTAINER_STOP/],
  ['CONTAINER_STOP with action restart', with_(clone('CONTAINER_STOP'), (e) => (e.lifecycle.action = 'restart')), 'lifecycle.action', /CONTAINER_START's/],
  // How a container ended is a stop's: Docker gives exitCode on die, signal on kill, neither on create/start/restart.
  ['CONTAINER_START with an exit_code', with_(clone('CONTAINER_START'), (e) => (e.lifecycle.exit_code = 0)), 'lifecycle.exit_code', /^a CONTAINER_START has no exit_code: a container that starts has not exited \(Docker's engine gives exitCode on die only\); it belongs to the CONTAINER_STOP$/],
  ['CONTAINER_START restart with an exit_code', with_(clone('CONTAINER_START'), (e) => Object.assign(e.lifecycle, { action: 'restart', exit_code: 137 })), 'lifecycle.exit_code', /has no exit_code/],
  ['CONTAINER_START with a signal', with_(clone('CONTAINER_START'), (e) => (e.lifecycle.signal = 'SIGTERM')), 'lifecycle.signal', /^a CONTAINER_START has no signal: .*signal on kill only/],
  ['CONTAINER_START with a null exit_code', with_(clone('CONTAINER_START'), (e) => (e.lifecycle.exit_code = null)), 'lifecycle.exit_code', /has no exit_code/],
  ['CONTAINER_STOP with action STOP', with_(clone('CONTAINER_STOP'), (e) => (e.lifecycle.action = 'STOP')), 'lifecycle.action', /one of die, stop/],
];

describe('parseAuditEvent', () => {
  it.each(EVENT_TYPES.map((t) => [t]))('accepts the example %s and returns it unchanged', (type) => {
    const result = parseAuditEvent(exampleEvents[type]);
    expect(result.ok ? 'ok' : result.issues).toBe('ok');
    expect(result.ok && isDeepStrictEqual(result.event, exampleEvents[type])).toBe(true);
  });

  it('has at least 40 distinct bad inputs', () => {
    expect(new Set(BAD.map(([name]) => name)).size).toBe(BAD.length);
    expect(BAD.length).toBeGreaterThanOrEqual(40);
  });

  it.each(BAD)('rejects %s', (_name, input, path, message) => {
    const result = parseAuditEvent(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const hit = result.issues.find((i) => i.path === path);
    expect(hit, `issues were ${JSON.stringify(result.issues)}`).toBeDefined();
    expect(hit!.message).toMatch(message);
    for (const issue of result.issues) {
      // Readable: short, one line, no control characters echoed back.
      expect(issue.message.length).toBeLessThan(400);
      expect(issue.message).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
    }
  });

  it('says only that an event_time that is no timestamp is not one, not that its year is 0000', () => {
    for (const t of ['yesterday', '', 'Mon Dec 07 2026 15:30:04 GMT+0000', ' 2026-11-20T10:00:04Z', '+002026-11-20T10:00:04Z', '000']) {
      expect([t, parseAuditEvent({ ...auth(), event_time: t })]).toEqual([t, { ok: false, issues: [{ path: 'event_time', message: expect.stringMatching(/^must be an RFC 3339 UTC time ending in Z/) }] }]);
    }
    expect(parseAuditEvent({ ...auth(), event_time: '0000-01-01T00:00:00Z' })).toEqual({ ok: false, issues: [{ path: 'event_time', message: 'year 0000 cannot be stored (SQL date types start at 0001-01-01)' }] });
  });

  it('does not pollute prototypes', () => {
    parseAuditEvent(JSON.stringify({ ...auth(), constructor: 1 }).replace(/^\{/, '{"__proto__":{"polluted":true},'));
    expect(({} as Mutable).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('never throws, whatever it is given', () => {
    const odd: unknown[] = [undefined, Symbol('x'), 10n, () => 1, new Date(), new Map(), '', 'null', '[]', '"str"', { event_type: { toString: null } }];
    for (const input of odd) expect(() => parseAuditEvent(input)).not.toThrow();
    expect(odd.every((input) => parseAuditEvent(input).ok === false)).toBe(true);
  });

  it('never throws for objects that throw when read: a getter (top level or nested), a Proxy trap, a revoked Proxy', () => {
    const boom = () => {
      throw new Error('boom\u0007');
    };
    const getter = Object.defineProperty(auth(), 'user_id', { get: boom, enumerable: true });
    const nested = with_(auth(), (e) => Object.defineProperty(e.webauthn, 'failure_stage', { get: boom, enumerable: true }));
    const trap = new Proxy(auth(), { ownKeys: boom });
    const revoked = Proxy.revocable(auth(), {});
    revoked.revoke();
    const odd = Object.defineProperty(auth(), 'user_id', {
      get: () => {
        throw { toString: boom };
      },
      enumerable: true,
    });
    const issue = (message: string) => ({ ok: false, issues: [{ path: '', message }] });
    expect(parseAuditEvent(getter)).toEqual(issue('the input could not be read: Error: boom'));
    expect(parseAuditEvent(nested)).toEqual(issue('the input could not be read: Error: boom'));
    expect(parseAuditEvent(trap)).toEqual(issue('the input could not be read: Error: boom'));
    expect(parseAuditEvent(revoked.proxy)).toMatchObject(issue(expect.stringMatching(/^the input could not be read: TypeError: .*revoked/)));
    expect(parseAuditEvent(odd)).toEqual(issue('the input could not be read: an exception that cannot be shown'));
  });

  it('refuses JSON text holding a member name twice in one object, at any depth, naming it; the same event as text without it passes', () => {
    const text = JSON.stringify(auth());
    expect(parseAuditEvent(text).ok).toBe(true);
    const top = text.replace('"user_id":', '"user_id":"mallory","user_id":');
    expect(parseAuditEvent(top)).toEqual({ ok: false, issues: [{ path: '', message: expect.stringMatching(/^the name "user_id" occurs twice in one object \(RFC 7493/) }] });
    const nested = text.replace('"producer":{', '"producer":{"service":"other",');
    expect(parseAuditEvent(nested)).toMatchObject({ ok: false, issues: [{ message: expect.stringContaining('"service" occurs twice') }] });
    // Spelled with an escape, still the same name; a control character in it is shown escaped.
    expect(parseAuditEvent(text.replace('"user_id":', '"user\\u005fid":"x","user_id":'))).toMatchObject({ ok: false });
    const bell = text.replace('{', '{"a\\u001bb":1,"a\\u001bb":2,');
    expect(parseAuditEvent(bell)).toMatchObject({ ok: false });
  });

  it('refuses JSON text escaping half a surrogate pair alone (PostgreSQL\'s jsonb refused the stored text: four reports failed); pairs, escaped backslashes and the same value as an object pass', () => {
    const text = JSON.stringify({ ...auth(), user_agent: 'UA-PLACE' });
    const withUa = (ua: string) => text.replace('UA-PLACE', ua);
    const refused = (ua: string, lone: string) =>
      expect(parseAuditEvent(withUa(ua)), ua).toEqual({ ok: false, issues: [{ path: '', message: expect.stringContaining(`the text holds the escape ${lone}, half of a UTF-16 surrogate pair alone`) }] });
    refused('x\\ud800y', '\\ud800');
    refused('\\uDBFF', '\\uDBFF');
    refused('\\udc00', '\\udc00');
    refused('\\ud83d\\ud83d\\ude00', '\\ud83d');
    refused('\\ud83d\\u0041', '\\ud83d');
    refused('\\\\\\ud800', '\\ud800');
    for (const ok of ['\\ud83d\\ude00', '\\\\ud800', '\\"\\u0041\\\\', 'plain \u00e9 \ud83d\ude00', '\\u00e9']) {
      expect(parseAuditEvent(withUa(ok)).ok, ok).toBe(true);
    }
    // Not text: the schema turns the lone half into U+FFFD, and what is stored is that event's JSON.
    const parsed = parseAuditEvent({ ...auth(), user_agent: 'x\ud800y' });
    expect(parsed.ok && parsed.event.user_agent).toBe('x\ufffdy');
  });

  it('cuts a user_agent over 1024 characters and sets the flag', () => {
    const result = parseAuditEvent({ ...auth(), user_agent: `Mozilla/5.0 ${'x'.repeat(5000)}` });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.user_agent).toHaveLength(1024);
    expect(result.event.user_agent_truncated).toBe(true);
  });

  it('cuts a long user_agent the same from JSON text and from an object, and leaves the caller\'s object alone', () => {
    const input = { ...auth(), user_agent: `Mozilla/5.0 ${'x'.repeat(5000)}` };
    const fromObject = parseAuditEvent(input);
    // JSON text without transport fields takes the no-copy path (the parsed object is the parser's own).
    const fromText = parseAuditEvent(JSON.stringify(input));
    expect(fromText).toEqual(fromObject);
    expect(fromText.ok && fromText.event.user_agent).toHaveLength(1024);
    expect(fromText.ok && fromText.transport).toEqual({});
    expect(input.user_agent).toHaveLength(5012);
    expect('user_agent_truncated' in input).toBe(false);
  });

  it('splits transport fields off JSON text and objects alike', () => {
    const line = JSON.stringify({ level: 30, time: 1700000000000, ...auth(), msg: 'audit' });
    for (const input of [line, JSON.parse(line) as unknown]) {
      const result = parseAuditEvent(input);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.transport).toEqual({ level: 30, time: 1700000000000, msg: 'audit' });
      expect('level' in result.event).toBe(false);
    }
  });

  it('cuts a user_agent before a surrogate pair that straddles 1024, instead of leaving half of it (U+FFFD)', () => {
    const result = parseAuditEvent(JSON.stringify({ ...auth(), user_agent: `${'y'.repeat(1023)}\u{1F600}tail` }));
    expect(result.ok && result.event.user_agent).toBe('y'.repeat(1023));
    expect(result.ok && result.event.user_agent_truncated).toBe(true);
  });

  it('keeps a 1024-character user_agent whole and unflagged', () => {
    const result = parseAuditEvent({ ...auth(), user_agent: 'y'.repeat(1024) });
    expect(result.ok && result.event.user_agent?.length).toBe(1024);
    expect(result.ok && result.event.user_agent_truncated).toBeUndefined();
  });

  it('sanitises error.message: control characters removed, lone surrogates replaced, cut to 512', () => {
    const message = `bad origin "https://evil.example\r\n\u001b[31mFORGED\u0000\u2028" \ud800 ${'z'.repeat(1000)}`;
    const result = parseAuditEvent({ ...auth(), error: { code: 'WEBAUTHN_ORIGIN', message } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const out = result.event.error!.message;
    expect(out.length).toBe(512);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(out.startsWith('bad origin "https://evil.example[31mFORGED" \ufffd zzz')).toBe(true);
  });

  it('accepts identifiers of astral characters up to the column width in UTF-16 units, with one issue past it', () => {
    // 128 pairs are 256 units: the most NVARCHAR(256) holds.
    const fits = parseAuditEvent({ ...auth(), user_id: '\u{1F600}'.repeat(128) });
    expect(fits.ok).toBe(true);
    // Over in code points too: zod's own too_big alone, not a second issue for the same excess.
    const over = parseAuditEvent({ ...auth(), user_id: '\u{1F600}'.repeat(257) });
    expect(over.ok ? [] : over.issues).toEqual([{ path: 'user_id', message: expect.stringMatching(/<=256 characters/) }]);
  });

  it('cuts free text to its limit in UTF-16 units, never between the halves of a pair', () => {
    // A pair straddles unit 512: the cut drops it whole (511 units), so the value fits NVARCHAR(600) with its code.
    const message = `${'m'.repeat(511)}\u{1F600}${'\u{1F600}'.repeat(300)}`;
    const result = parseAuditEvent({ ...auth(), error: { code: 'WEBAUTHN_ORIGIN', message } });
    expect(result.ok && result.event.error!.message).toBe('m'.repeat(511));
    const line = `${'\u{1F600}'.repeat(2500)}`; // 5000 units, 2500 code points
    const cmd = parseAuditEvent(with_(exec(), (e) => (e.process.command_line = line)));
    expect(cmd.ok && 'process' in cmd.event && cmd.event.process?.command_line).toBe('\u{1F600}'.repeat(2000));
  });

  it('keeps control characters in a command line visible as escapes', () => {
    const result = parseAuditEvent(with_(exec(), (e) => (e.process.command_line = 'sh -c "id\nrm -rf /"\u001b[0m')));
    expect(result.ok && 'process' in result.event && result.event.process?.command_line).toBe('sh -c "id\\x0arm -rf /"\\x1b[0m');
  });

  it('splits pino and transport fields off into transport', () => {
    const line = JSON.stringify({ level: 30, time: 1795165204000, pid: 7, hostname: 'h1', msg: 'audit', ...auth() });
    const result = parseAuditEvent(line);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.transport).toEqual({ level: 30, time: 1795165204000, pid: 7, hostname: 'h1', msg: 'audit' });
    expect(result.event).not.toHaveProperty('level');
    expect(isDeepStrictEqual(result.event, exampleEvents.WEBAUTHN_AUTH_FAILURE)).toBe(true);
  });
});
