import { completeEvent, parseAuditEvent } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { compileTagTemplate } from '../../src/normalize/tag-template.js';
import { compileTagPatterns } from '../../src/normalize/tag-patterns.js';
import { safeJson } from '../../src/normalize/record.js';
import { PartialAssembler } from '../../src/normalize/partials.js';
import { deterministicEventId } from '../../src/normalize/deterministic-id.js';
import { makeEvent, makeLine } from './helpers/events.js';
import { CID, normalizer } from './helpers/normalizer.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import { prngInt } from '../../../../test/support/prng.js';

describe('tag template', () => {
  it('parses the reference Swarm tag, including a dotted host name', () => {
    const parse = compileTagTemplate(DEFAULT_TAG_TEMPLATE);
    expect(parse('swarm.audit.node-1.prod.example.com.webauthn-api.k3j4h5g6f7d8')).toEqual({
      swarm_node: 'node-1.prod.example.com',
      swarm_service: 'webauthn-api',
      swarm_task_id: 'k3j4h5g6f7d8',
    });
    expect(parse('docker.abcdef012345')).toBeUndefined();
  });

  it('supports a configured template with Docker markup', () => {
    const parse = compileTagTemplate('audit.{{.Name}}.{{.ID}}');
    expect(parse('audit.web.abcdef012345')).toEqual({ container_name: 'web', container_id: 'abcdef012345' });
  });
});

describe('record normaliser', () => {
  it('passes the Docker driver `log` line to the sink exactly as received, with container metadata', () => {
    const { run } = normalizer();
    const line = makeLine(1);
    const [out] = run('swarm.audit.n1.api.t1', { container_id: CID, container_name: '/api.1.x', source: 'stdout', log: line });
    expect(out).toEqual({
      kind: 'sink',
      item: { line, source: 'test', meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1', swarm_service: 'api', swarm_task_id: 't1', container_id: CID, container_name: 'api.1.x' } },
    });
  });

  it('never throws: a record it cannot read becomes a reject holding it, and a "__proto__" member of an agent-parsed event is kept, not dropped (found by a probe)', () => {
    const { run } = normalizer();
    const hostile = { log: 'x' } as Record<string, unknown>;
    Object.defineProperty(hostile, 'partial_message', { enumerable: true, get: () => { throw new Error('boom\u001b[2J'); } });
    expect(run('t', hostile)).toEqual([{ kind: 'sink', item: { line: expect.any(String), meta: { source_tag: 't' }, source: 'test', reject: expect.stringMatching(/^RECORD_UNREADABLE: boom\S*\[2J$/) } }]);
    expect((run('t', hostile)[0] as { item: { reject: string } }).item.reject).not.toContain('\u001b');
    // As the msgpack decoder makes it: "__proto__" an own data member.
    const event = JSON.parse(makeLine(7));
    const record = { ...event };
    Object.defineProperty(record, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    const [out] = run('t', record) as { item: { line: string } }[];
    expect(out!.item.line).toContain('"__proto__":{"polluted":true}');
    expect(parseAuditEvent(out!.item.line)).toMatchObject({ ok: false, issues: [{ path: '__proto__', message: 'unknown field "__proto__"' }] });
  });

  it('counts and skips lines whose log_type is not security_audit, and non-JSON lines', () => {
    const { run } = normalizer();
    expect(run('t', { log: '{"log_type":"access","msg":"GET /"}' })).toEqual([{ kind: 'non_audit' }]);
    expect(run('t', { log: 'plain text \u001b[31m line' })).toEqual([{ kind: 'non_audit' }]);
    expect(run('t', { log_type: 'app', msg: 'x' })).toEqual([{ kind: 'non_audit' }]);
  });

  it('moves transport keys out of an event an agent already parsed to top level', () => {
    const { run } = normalizer();
    const event = makeEvent(2);
    const [out] = run('t', { ...event, container_id: CID, container_name: '/c', source: 'stdout', stream: 'stdout' });
    expect(out!.kind).toBe('sink');
    const line = (out as { item: { line: string } }).item.line;
    expect(parseAuditEvent(line).ok).toBe(true);
    expect(JSON.parse(line)).toEqual(event);
  });

  it('gives consecutive records of one container the same meta object, and a new one when the container, tag or kubernetes metadata differs', () => {
    const { run } = normalizer();
    const meta = (tag: string, record: Record<string, unknown>) => (run(tag, record)[0] as { item: { meta: object } }).item.meta;
    const rec = (i: number, name = '/api.1.x', id = CID) => ({ container_id: id, container_name: name, source: 'stdout', log: makeLine(i) });
    const a = meta('swarm.audit.n1.api.t1', rec(1));
    expect(meta('swarm.audit.n1.api.t1', rec(2))).toBe(a);
    const other = meta('swarm.audit.n1.api.t1', rec(3, '/web.1.y'));
    expect(other).not.toBe(a);
    expect(other).toMatchObject({ container_name: 'web.1.y', container_id: CID });
    const otherTag = meta('swarm.audit.n2.api.t9', rec(4, '/web.1.y'));
    expect(otherTag).toMatchObject({ swarm_node: 'n2', swarm_task_id: 't9', container_name: 'web.1.y' });
    expect(meta('swarm.audit.n2.api.t9', rec(5, '/web.1.y', 'not-hex'))).toEqual({ source_tag: 'swarm.audit.n2.api.t9', swarm_node: 'n2', swarm_service: 'api', swarm_task_id: 't9', container_name: 'web.1.y' });
    // Fluent Bit records carry their own kubernetes object: never shared.
    const k8s = (pod: string) => meta('kube.var.log', { log: makeLine(6), kubernetes: { namespace_name: 'auth', pod_name: pod, container_name: 'api' } });
    const p1 = k8s('api-1');
    const p2 = k8s('api-2');
    expect(p1).toMatchObject({ k8s_pod: 'api-1' });
    expect(p2).toMatchObject({ k8s_pod: 'api-2' });
    // A shared meta holds the same data a fresh normaliser derives for the record.
    const fresh = normalizer().run('swarm.audit.n1.api.t1', rec(7))[0] as { item: { meta: object } };
    expect(fresh.item.meta).toEqual(a);
  });

  it('takes namespace, pod, container and node (host) from Fluent Bit kubernetes metadata', () => {
    const { run } = normalizer();
    const [out] = run('kube.var.log', { log: makeLine(3), stream: 'stdout', kubernetes: { namespace_name: 'auth', pod_name: 'api-7f9c', container_name: 'api', host: 'n1' } });
    expect(out).toMatchObject({ kind: 'sink', item: { meta: { k8s_namespace: 'auth', k8s_pod: 'api-7f9c', container_name: 'api', k8s_node: 'n1' } } });
  });

  it('reads the MSG of a record parsed by Fluent Bit in_syslog (syslog-rfc5424 parser: `message`)', () => {
    const { run } = normalizer();
    const line = makeLine(8);
    const [out] = run('syslog.kube', { pri: '14', time: '2024-01-01T00:00:00Z', host: 'node-3', ident: 'webauthn-api', pid: '1', msgid: 'AUDIT', extradata: '-', message: line });
    expect(out).toMatchObject({ kind: 'sink', item: { line, meta: { source_tag: 'syslog.kube' } } });
  });

  it('reassembles partial_* pieces of a line longer than 16 KiB in ordinal order', () => {
    const { run, counters } = normalizer();
    const line = JSON.stringify({ ...makeEvent(4), user_agent: 'x'.repeat(1000) });
    const pieces = [line.slice(0, 400), line.slice(400, 900), line.slice(900)];
    const base = { container_id: CID, container_name: '/c', source: 'stdout', partial_message: 'true', partial_id: 'p1' };
    const a = run('t', { ...base, log: pieces[1]!, partial_ordinal: '2', partial_last: 'false' });
    const b = run('t', { ...base, log: pieces[2]!, partial_ordinal: '3', partial_last: 'true' });
    const c = run('t', { ...base, log: pieces[0]!, partial_ordinal: '1', partial_last: 'false' });
    expect(a).toMatchObject([{ kind: 'partial', piece: { ordinal: 2, last: false, bytes: Buffer.from(pieces[1]!) }, settles: [] }]);
    expect(b).toMatchObject([{ kind: 'partial', piece: { ordinal: 3, last: true, bytes: Buffer.from(pieces[2]!) }, settles: [] }]);
    expect(c[0]).toMatchObject({ kind: 'partial', piece: { key: `${CID}/p1`, ordinal: 1, meta: { container_name: 'c' } }, settles: [`${CID}/p1`] });
    expect(c[1]).toMatchObject({ kind: 'sink', item: { line } });
    expect(counters.partialsReassembled).toBe(1);
  });

  it('releases incomplete partial lines on expiry and when too many are open, counting them', () => {
    const { n, run, counters } = normalizer();
    const base = { container_id: CID, partial_message: 'true', partial_last: 'false', partial_ordinal: '1' };
    run('t', { ...base, partial_id: 'a', log: '{"log_type":"security_audit",' });
    run('t', { ...base, partial_id: 'b', log: 'plain' });
    const third = run('t', { ...base, partial_id: 'c', log: 'more' });
    // maxOpen 2: the oldest ("a") is released, looks like audit, so it goes to the sink as a reject saying why.
    expect(third[1]).toMatchObject({ kind: 'sink', item: { line: '{"log_type":"security_audit",', source: 'test', reject: expect.stringMatching(/^PARTIAL_LINE_DISPLACED: .*\(partial_id a\)$/) } });
    const expired = n.expire(Date.now() + 5000).out;
    expect(expired).toEqual([{ kind: 'non_audit' }, { kind: 'non_audit' }]);
    expect(counters.partialsExpired).toBe(3);
  });

  it('keeps the later pieces of an audit line displaced before as a reject, though they no longer look like audit (found by a probe)', () => {
    const { n, run } = normalizer();
    const base = { container_id: CID, partial_message: 'true' };
    const line = makeLine(70);
    const cut = line.indexOf('"user_id"');
    run('t', { ...base, partial_id: 'honest', partial_ordinal: '1', partial_last: 'false', log: line.slice(0, cut) });
    // A flood of other open lines pushes it out (maxOpen 2): its first piece is kept, as a reject.
    run('t', { ...base, partial_id: 'f1', partial_ordinal: '1', partial_last: 'false', log: 'x' });
    const displaced = run('t', { ...base, partial_id: 'f2', partial_ordinal: '1', partial_last: 'false', log: 'y' });
    expect(displaced[1]).toMatchObject({ item: { reject: expect.stringMatching(/^PARTIAL_LINE_DISPLACED: .*\(partial_id honest\)$/) } });
    // Its last piece, which holds no log_type, arrives after it.
    run('t', { ...base, partial_id: 'honest', partial_ordinal: '2', partial_last: 'true', log: line.slice(cut) });
    const rest = n.expire(Date.now() + 5000).out.filter((o) => o.kind === 'sink');
    expect(rest).toMatchObject([{ item: { line: line.slice(cut), reject: expect.stringMatching(/^PARTIAL_LINE_REST: .*\(partial_id honest\)/) } }]);
  });

  it('stores pieces that did not make a whole line as rejects with their reason, as they arrived, even when they parse as an event', () => {
    const { n, run } = normalizer();
    const base = { container_id: CID, container_name: '/api.1.x', partial_message: 'true', partial_id: 'p9' };
    const line = makeLine(3);
    const head = line.slice(0, line.indexOf('"log_type"') + 40);
    run('t', { ...base, partial_ordinal: '1', partial_last: 'false', log: head });
    // A second piece 1 that is a whole valid event on its own: not an event, a conflict.
    const conflict = run('t', { ...base, partial_ordinal: '1', partial_last: 'false', log: line });
    expect(conflict[1]).toEqual({ kind: 'sink', item: { line, meta: expect.objectContaining({ container_name: 'api.1.x' }), source: 'test', reject: expect.stringMatching(/^PARTIAL_PIECE_CONFLICT: .*\(partial_id p9\)$/) } });
    const expired = n.expire(Date.now() + 5000).out;
    expect(expired).toEqual([{ kind: 'sink', item: { line: head, meta: expect.objectContaining({ container_name: 'api.1.x' }), source: 'test', reject: expect.stringMatching(/^PARTIAL_LINE_EXPIRED: /) } }]);
  });

  it('a line completed from the journal at start is stored, and its last piece, which its sender resends unacked, is then taken for a resend', () => {
    const { n, counters, run } = normalizer();
    const line = makeLine(4);
    const half = Math.floor(line.length / 2);
    const meta = { source_tag: 't', container_id: CID };
    const journaled = [1, 2].map((o) => ({ key: `${CID}/p7`, ordinal: o, last: o === 2, bytes: Buffer.from(o === 1 ? line.slice(0, half) : line.slice(half)), meta, source: 'test' }));
    const restored = n.restore(journaled, Date.now());
    expect(restored.out).toMatchObject([{ kind: 'sink', item: { line } }]);
    expect(restored.settles).toEqual([`${CID}/p7`]);
    restored.stored();
    const resent = run('t', { container_id: CID, partial_message: 'true', partial_id: 'p7', partial_ordinal: '2', partial_last: 'true', log: line.slice(half) });
    expect(resent).toEqual([{ kind: 'partial', settles: [] }]);
    expect(counters).toMatchObject({ partialsRestored: 2, partialsReassembled: 1, partialsResent: 1, partialsExpired: 0 });
    expect(n.expire(Date.now() + 5000).out).toEqual([]);
  });

  it('keeps pieces no honest sender sends out of the line, released apart: a piece numbered past the last, a second piece at an ordinal with other text; a resent piece adds nothing', () => {
    const p = new PartialAssembler({ maxLineBytes: 1 << 20, maxOpen: 10, maxOpenBytes: 1 << 30, maxAgeMs: 1000 });
    expect(p.add('k', 1, false, Buffer.from('ab'), undefined)).toEqual([]);
    expect(p.add('k', 4, false, Buffer.from('<forged tail>'), undefined)).toEqual([]);
    expect(p.add('k', 1, false, Buffer.from('ab'), undefined)).toEqual([]);
    expect(p.add('k', 1, false, Buffer.from('XX'), undefined)).toEqual([{ key: 'k', line: 'XX', complete: false, reason: 'conflicting_piece' }]);
    expect(p.add('k', 3, true, Buffer.from('ef'), undefined)).toEqual([]);
    expect(p.add('k', 2, false, Buffer.from('cd'), undefined)).toMatchObject([
      { key: 'k', line: 'abcdef', complete: true },
      { key: 'k', line: '<forged tail>', complete: false, reason: 'beyond_last' },
    ]);
    expect(p.size).toBe(0);
  });

  it('recognises the pieces of a stored line sent again, for maxAgeMs and for the last maxOpen lines; other pieces of it are kept apart, not opened as a line', () => {
    const p = new PartialAssembler({ maxLineBytes: 1 << 20, maxOpen: 2, maxOpenBytes: 1 << 30, maxAgeMs: 1000 });
    const ab = Buffer.from('ab');
    const cd = Buffer.from('cd');
    p.add('k', 1, false, ab, undefined, 0);
    const [line] = p.add('k', 2, true, cd, undefined, 0);
    // Not stored yet: a copy of its last piece opens a line of its own.
    expect(p.isResent('k', 2, cd)).toBe(false);
    expect(p.add('k', 2, true, cd, undefined, 10)).toEqual([]);
    expect(p.size).toBe(1);
    expect(p.stored(line!, 20)).toEqual({ dropped: 1, record: { key: 'k', digests: [expect.any(String), expect.any(String)] } });
    expect(p.size).toBe(0);
    expect([p.isResent('k', 1, ab), p.isResent('k', 2, cd), p.isResent('k', 2, ab), p.isResent('k', 3, cd), p.isResent('other', 2, cd)]).toEqual([true, true, false, false, false]);
    expect(p.add('k', 2, true, Buffer.from('XY'), undefined, 30)).toEqual([{ key: 'k', line: 'XY', complete: false, reason: 'conflicting_piece' }]);
    expect(p.add('k', 3, false, Buffer.from('<forged tail>'), undefined, 30)).toEqual([{ key: 'k', line: '<forged tail>', complete: false, reason: 'beyond_last' }]);
    expect(p.size).toBe(0);
    // A copy that is not all resends stays open (and is released on expiry as what it is).
    p.add('j', 1, false, Buffer.from('x'), undefined, 40);
    const [other] = p.add('j', 2, true, Buffer.from('y'), undefined, 40);
    p.add('j', 1, false, Buffer.from('other'), undefined, 50);
    expect(p.stored(other!, 60).dropped).toBe(0);
    expect(p.size).toBe(1);
    // Forgotten after maxAgeMs from being stored...
    expect(p.expire(1019).map((l) => l.key)).toEqual([]);
    expect(p.isResent('k', 2, cd)).toBe(true);
    expect(p.expire(1020).map((l) => l.key)).toEqual([]);
    expect(p.isResent('k', 2, cd)).toBe(false);
    // ...and beyond maxOpen stored lines, the oldest first.
    for (const key of ['m', 'n', 'o']) p.stored(p.add(key, 1, true, ab, undefined, 2000)[0]!, 2000);
    expect(['m', 'n', 'o'].map((key) => p.isResent(key, 1, ab))).toEqual([false, true, true]);
  });

  it('a line reopened after its store failed, when a copy of its last piece came meanwhile, is whole again: expire(), drain() and the next add() give it back complete, pieces past its last apart', () => {
    const p = new PartialAssembler({ maxLineBytes: 1 << 20, maxOpen: 10, maxOpenBytes: 1 << 30, maxAgeMs: 1000 });
    const reopened = (key: string) => {
      p.add(key, 1, false, Buffer.from('ab'), undefined, 0);
      const [line] = p.add(key, 2, true, Buffer.from('cd'), undefined, 0);
      expect(p.add(key, 2, true, Buffer.from('cd'), undefined, 5)).toEqual([]);
      p.reopen(line!, 2, 10);
    };
    reopened('k');
    expect(p.expire(20)).toMatchObject([{ key: 'k', line: 'abcd', complete: true, last: 2 }]);
    reopened('j');
    expect(p.drain()).toMatchObject([{ key: 'j', line: 'abcd', complete: true }]);
    // Any piece added to it gives it back at once, a piece past its last apart.
    reopened('i');
    expect(p.add('i', 3, false, Buffer.from('<forged tail>'), undefined, 30)).toMatchObject([
      { key: 'i', line: 'abcd', complete: true },
      { key: 'i', line: '<forged tail>', complete: false, reason: 'beyond_last' },
    ]);
    expect([p.size, p.bytes]).toEqual([0, 0]);
  });

  it('bounds the bytes of all open lines together: the oldest others are released first, and completed or released lines give their bytes back', () => {
    const p = new PartialAssembler({ maxLineBytes: 1000, maxOpen: 100, maxOpenBytes: 100, maxAgeMs: 1000 });
    const b = (n: number, c: string) => Buffer.alloc(n, c);
    expect(p.add('a', 1, false, b(40, 'a'), undefined)).toEqual([]);
    expect(p.add('b', 1, false, b(40, 'b'), undefined)).toEqual([]);
    expect(p.bytes).toBe(80);
    // 120 bytes open: "a", the oldest, goes.
    expect(p.add('c', 1, false, b(40, 'c'), undefined)).toEqual([{ key: 'a', line: 'a'.repeat(40), complete: false, reason: 'too_many_open' }]);
    expect(p.bytes).toBe(80);
    // A line past the total by itself keeps its place while the others go.
    expect(p.add('c', 2, false, b(90, 'C'), undefined).map((l) => l.key)).toEqual(['b']);
    expect(p.bytes).toBe(130);
    expect(p.add('c', 3, true, b(1, '!'), undefined)).toMatchObject([{ key: 'c', complete: true, line: `${'c'.repeat(40)}${'C'.repeat(90)}!` }]);
    expect(p.bytes).toBe(0);
    expect(p.size).toBe(0);
  });

  it('bounds the reassembly buffer per line', () => {
    const p = new PartialAssembler({ maxLineBytes: 10, maxOpen: 10, maxOpenBytes: 1 << 30, maxAgeMs: 1000 });
    expect(p.add('k', 1, false, Buffer.from('x'.repeat(11)), undefined)).toMatchObject([{ complete: false, reason: 'too_large' }]);
    expect(p.size).toBe(0);
  });

  it('sends a non-map record to the sink as evidence (it becomes a reject) and skips non-log signals', () => {
    const { run } = normalizer();
    expect(run('t', [1, 2])).toMatchObject([{ kind: 'sink', item: { line: '[1,2]' } }]);
    expect(run('t', { log: makeLine(1) }, 2)).toEqual([{ kind: 'not_logs' }]);
  });

  it('derives UUIDv7-shaped ids that keep the time and differ by content', () => {
    const a = deterministicEventId(1700000000123, 'x');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(a.slice(0, 8) + a.slice(9, 13), 16)).toBe(1700000000123);
    expect(deterministicEventId(1700000000123, 'y')).not.toBe(a);
  });

  it('compiles tag patterns: * matches any characters, everything else itself, the whole tag', () => {
    const f = compileTagPatterns(['docker.events', 'swarm.audit.*.collector.*', 'a+b'])!;
    expect(['docker.events', 'swarm.audit.n1.collector.t9', 'swarm.audit.n.1.collector.x.y', 'a+b'].map(f)).toEqual([true, true, true, true]);
    expect(['docker.eventsX', 'xdocker.events', 'dockerXevents', 'swarm.audit.n1.web.t9', 'aab', ''].map(f)).toEqual([false, false, false, false, false, false]);
    expect(compileTagPatterns([])!('anything')).toBe(false);
    expect(compileTagPatterns(undefined)).toBeUndefined();
  });

  it('with containerEventTags, stores a Docker event or Falco alert from another tag as a reject naming the tag, and maps it from a listed one', () => {
    const { run } = normalizer(DEFAULT_TAG_TEMPLATE, ['docker.events', 'falco']);
    const dockerLine = JSON.stringify({ Type: 'container', Action: 'exec_start: /bin/sh', Actor: { ID: CID, Attributes: {} }, time: 1700000000 });
    const falcoLine = JSON.stringify({ priority: 'Notice', rule: 'Terminal shell in container', time: '2024-05-01T10:00:00Z', output_fields: { 'container.id': CID.slice(0, 12), 'proc.cmdline': 'sh' } });
    const trusted = run('docker.events', { log: dockerLine })[0] as { kind: string; item: { line: string; reject?: string } };
    expect(trusted.item.reject).toBeUndefined();
    expect(JSON.parse(trusted.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC' });
    expect(run('falco', { log: falcoLine })[0]).not.toHaveProperty('item.reject');
    const forged = run('swarm.audit.n1.web.t1', { log: dockerLine })[0] as { kind: string; item: { line: string; reject?: string } };
    expect(forged).toMatchObject({ kind: 'sink', item: { line: dockerLine } });
    expect(forged.item.reject).toBe('CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from docker-events arrived with tag "swarm.audit.n1.web.t1", which containerEventTags does not list');
    expect(run('swarm.audit.n1.web.t1', { log: falcoLine })[0]).toMatchObject({ item: { reject: expect.stringMatching(/^CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from falco /) } });
    // Audit lines and non-container records are not affected.
    expect(run('swarm.audit.n1.web.t1', { log: makeLine(1) })[0]).not.toHaveProperty('item.reject');
  });

  it('with containerEventTags, a ready-made CONTAINER_* audit line from another tag is a reject too, however its type is spelled (found by a probe)', () => {
    const { run } = normalizer(DEFAULT_TAG_TEMPLATE, ['k8s.audit']);
    // What an app container can print: a complete, valid audit event naming a person and the Kubernetes detector.
    const forged = completeEvent(
      {
        event_type: 'CONTAINER_EXEC',
        user_id: 'alice@example.com',
        detector: { name: 'kubernetes-audit', rule: 'pods/exec' },
        runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-1' },
        container: { name: 'app' },
        process: { command_line: '/bin/sh', tty: true, interactive: true },
      } as never,
      { producer: { service: 'webauthn-api' } },
    );
    expect(parseAuditEvent(forged).ok).toBe(true);
    const line = JSON.stringify(forged);
    const escaped = line.replace('"CONTAINER_EXEC"', '"\\u0043ONTAINER_EXEC"');
    expect(JSON.parse(escaped)).toMatchObject({ event_type: 'CONTAINER_EXEC' });
    const reason = 'CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC audit line arrived with tag "swarm.audit.n1.web.t1", which containerEventTags does not list';
    for (const text of [line, escaped]) {
      expect(run('swarm.audit.n1.web.t1', { log: text })[0]).toMatchObject({ kind: 'sink', item: { line: text, reject: reason } });
      // From the listed tag it is an event.
      expect(run('k8s.audit', { log: text })[0]).not.toHaveProperty('item.reject');
    }
    // Parsed to a map by Fluent Bit or Fluentd: the same.
    expect(run('swarm.audit.n1.web.t1', forged as unknown as Record<string, unknown>)[0]).toMatchObject({ kind: 'sink', item: { reject: reason } });
    // A WebAuthn event that merely mentions CONTAINER_ is not affected.
    const mention = JSON.stringify({ ...makeEvent(2), user_agent: 'CONTAINER_EXEC probe \\u00e9' });
    expect(run('swarm.audit.n1.web.t1', { log: mention })[0]).not.toHaveProperty('item.reject');
  });
});

describe('RecordNormalizer: records that are not maps', () => {
  it('keeps bytes as base64, at the top or nested, not as Buffer.toJSON\'s {"type":"Buffer","data":[...]} (found by a probe)', () => {
    const { run } = normalizer();
    expect(run('t', Buffer.from([0xff, 0xfe]))[0]).toMatchObject({ kind: 'sink', item: { line: '"//4="' } });
    expect(safeJson({ a: Buffer.from('hi'), b: [new Uint8Array([1, 2])], n: 2n ** 70n })).toBe('{"a":"aGk=","b":["AQI="],"n":"1180591620717411303424"}');
  });
});

describe('RecordNormalizer: transport metadata', () => {
  it('removes control characters from the tag, the names parsed from it and container_name before they reach a column (found by a probe)', () => {
    const { run } = normalizer();
    const [n] = run('swarm.audit.node\u001b[2J-1.api\r\n.t1', { log: makeLine(60), container_id: CID, container_name: '/web\u001b]0;pwned\u0007\r\nadmin' });
    expect(n).toMatchObject({ kind: 'sink', item: { meta: { source_tag: 'swarm.audit.node[2J-1.api.t1', swarm_node: 'node[2J-1', swarm_service: 'api', container_name: 'web]0;pwnedadmin' } } });
  });
});

describe('RecordNormalizer: pieces numbered outside 1..n (found by a probe)', () => {
  it('keeps an audit line in a piece numbered 0, -1 or 1.5 as a reject, where it was acked and lost', () => {
    const { run } = normalizer();
    const base = { container_id: CID, container_name: '/c', source: 'stdout', partial_message: 'true', partial_last: 'true' };
    for (const [i, ordinal] of (['0', '-1', '1.5', 'x'] as const).entries()) {
      const line = makeLine(40 + i);
      const [n] = run('t', { ...base, partial_id: `p${i}`, partial_ordinal: ordinal, log: line });
      expect(n, ordinal).toMatchObject({ kind: 'sink', item: { line, reject: `PARTIAL_PIECE_INVALID: partial_ordinal ${JSON.stringify(ordinal)} is not a whole number from 1; the piece is kept as it came` } });
    }
    // An id longer than Docker's (64 characters) is not joined either: keys stay small (found by a review).
    const long = run('t', { ...base, partial_id: 'p'.repeat(200), partial_ordinal: '1', log: makeLine(49) })[0];
    expect(long).toMatchObject({ kind: 'sink', item: { reject: 'PARTIAL_PIECE_INVALID: partial_id or container_id is longer than 128 characters; the piece is kept as it came' } });
    // A piece without an ordinal is still taken as the first, into the assembler (Fluent Bit's partial records carry none).
    expect(run('t', { ...base, partial_id: 'q', log: makeLine(50) })[0]).toMatchObject({ kind: 'partial' });
  });
});

describe('PartialAssembler: pieces of many lines, interleaved and out of order (seeded)', () => {
  it('gives back every line whole, once, whatever the order its pieces arrive in, cut at any byte (inside a UTF-8 character too, as the Docker driver cuts)', () => {
    const rand = prngInt(88172645);
    // One to four bytes of UTF-8 each.
    const alphabet = ['a', 'Z', '{', '"', 'é', 'ß', '€', '中', '😀', '𝄞'];
    for (let round = 0; round < 200; round++) {
      const p = new PartialAssembler({ maxLineBytes: 1 << 20, maxOpen: 100, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 });
      const lines = new Map<string, string>();
      const pieces: { key: string; ordinal: number; last: boolean; bytes: Buffer }[] = [];
      for (let k = 0; k < 1 + rand(8); k++) {
        const key = `c${k}:p${rand(1000)}`;
        const line = Array.from({ length: 1 + rand(400) }, () => alphabet[rand(alphabet.length)]!).join('');
        lines.set(key, line);
        const bytes = Buffer.from(line, 'utf8');
        let at = 0;
        for (let ordinal = 1; at < bytes.length; ordinal++) {
          const n = 1 + rand(60);
          pieces.push({ key, ordinal, last: at + n >= bytes.length, bytes: bytes.subarray(at, at + n) });
          at += n;
        }
      }
      // Shuffle (Fisher-Yates).
      for (let i = pieces.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
      }
      const got = new Map<string, string>();
      for (const pc of pieces) {
        for (const out of p.add(pc.key, pc.ordinal, pc.last, pc.bytes, undefined, 0)) {
          expect(out.complete, `round ${round}`).toBe(true);
          expect(got.has(out.key), `round ${round}: ${out.key} twice`).toBe(false);
          got.set(out.key, out.line);
        }
      }
      expect(got, `round ${round}`).toEqual(lines);
      expect(p.size).toBe(0);
    }
  });

  it('with resent pieces, pieces past the last and conflicting pieces mixed in: nothing lost, resends add nothing, and lines nobody interfered with come back whole', () => {
    const rand = prngInt(20261205);
    for (let round = 0; round < 200; round++) {
      const p = new PartialAssembler({ maxLineBytes: 1 << 20, maxOpen: 100, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 });
      const lines = new Map<string, string>();
      const touched = new Set<string>();
      const conflicted = new Set<string>();
      const pieces: { key: string; ordinal: number; last: boolean; text: string }[] = [];
      let sent = 0;
      for (let k = 0; k < 1 + rand(6); k++) {
        const key = `c${k}`;
        const line = Array.from({ length: 1 + rand(300) }, () => String.fromCharCode(0x61 + rand(26))).join('');
        lines.set(key, line);
        let at = 0;
        let ordinal = 1;
        for (; at < line.length; ordinal++) {
          const n = 1 + rand(50);
          pieces.push({ key, ordinal, last: at + n >= line.length, text: line.slice(at, at + n) });
          sent += Math.min(n, line.length - at);
          at += n;
        }
        // Hostile: past the last, or other text at a taken ordinal.
        if (rand(2) === 0) {
          touched.add(key);
          const text = `#beyond${round}.${k}`;
          pieces.push({ key, ordinal: ordinal + rand(3), last: false, text });
          sent += text.length;
        }
        if (rand(2) === 0) {
          touched.add(key);
          conflicted.add(key);
          const text = `#conflict${round}.${k}`;
          pieces.push({ key, ordinal: 1 + rand(ordinal - 1), last: false, text });
          sent += text.length;
        }
      }
      for (let i = pieces.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
      }
      // Resends: a piece again right after it, while its line still misses
      // another piece (a whole request resent after its line completed gives
      // the line again, which the database's event_id ignores). Not in lines
      // given a conflicting piece: one taken first can complete them early.
      const missing = new Map<string, number>();
      for (const pc of pieces) if (!pc.text.startsWith('#')) missing.set(pc.key, (missing.get(pc.key) ?? 0) + 1);
      const arriving: typeof pieces = [];
      for (const pc of pieces) {
        arriving.push(pc);
        if (pc.text.startsWith('#')) continue;
        const left = missing.get(pc.key)! - 1;
        missing.set(pc.key, left);
        if (left > 0 && !conflicted.has(pc.key) && rand(4) === 0) arriving.push({ ...pc });
      }
      const complete = new Map<string, string>();
      let released = 0;
      for (const pc of arriving) {
        for (const out of p.add(pc.key, pc.ordinal, pc.last, Buffer.from(pc.text), undefined, 0)) {
          released += out.line.length;
          if (!out.complete) continue;
          expect(complete.has(out.key), `round ${round}: ${out.key} completed twice`).toBe(false);
          complete.set(out.key, out.line);
        }
      }
      for (const out of p.drain()) released += out.line.length;
      expect(released, `round ${round}: characters sent (resends once) = characters given back`).toBe(sent);
      for (const [key, line] of lines) if (!touched.has(key)) expect(complete.get(key), `round ${round}: ${key}`).toBe(line);
      expect(p.size).toBe(0);
    }
  });
});

describe('rejects relayed by another sink\'s forward fallback', () => {
  it('keeps { raw_payload, reason, source } as the reject it was, the relay in its source; any other shape is not one', () => {
    const { run } = normalizer();
    expect(run('audit.sink.fallback.rejects', { raw_payload: 'oops', reason: 'SCHEMA_INVALID: x', source: 'direct' })).toEqual([
      { kind: 'sink', item: { line: 'oops', meta: { source_tag: 'audit.sink.fallback.rejects' }, source: 'test relaying direct', reject: 'SCHEMA_INVALID: x' } },
    ]);
    expect(run('t', { raw_payload: 'oops', reason: '' })).toMatchObject([{ kind: 'sink', item: { source: 'test relaying -', reject: 'RELAYED_REJECT' } }]);
    for (const record of [{ raw_payload: 'oops', reason: 'r', source: 'direct', extra: 1 }, { raw_payload: 'oops', reason: 7 }, { raw_payload: 'oops', reason: 'r', source: 3 }]) {
      expect(run('t', record), JSON.stringify(record)).toEqual([{ kind: 'non_audit' }]);
    }
  });
});
