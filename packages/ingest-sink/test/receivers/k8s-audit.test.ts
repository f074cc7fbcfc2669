import { parseAuditEvent, toEcs, toOcsf, type EventOf } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { classifyLine, type Normalized } from '../../src/normalize/classify-line.js';
import { addedContainersOf } from '../../src/normalize/k8s-ephemeral-containers.js';
import { streamRequestOf } from '../../src/normalize/k8s-stream-request.js';
import { compileTagPatterns } from '../../src/normalize/tag-patterns.js';
import { RecordNormalizer } from '../../src/normalize/record.js';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import { attachEvent, deniedExecEvent, execEvent, line, otherEvents, POD, RECEIVED } from './helpers/k8s-audit-events.js';

// Kubernetes API server audit events (audit.k8s.io/v1) for pods/exec and
// pods/attach become CONTAINER_EXEC events naming who opened the stream.
// Field semantics: kubernetes/kubernetes
// staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go.

const TAG = 'k8s.audit';
const trusted = compileTagPatterns([TAG]);

/** Classifies one audit log line as Fluent Bit's tail input sends it (`log`), under `tag`. */
function classify(text: string, tag = TAG): Normalized {
  return classifyLine(text, { source_tag: tag }, 'test', trusted);
}

/** The stored event a line maps to, as the sink will parse it (control characters escaped). */
function mapped(event: Record<string, unknown>): EventOf<'CONTAINER_EXEC'> {
  const out = classify(line(event));
  expect(out).toMatchObject({ kind: 'sink', container: true });
  const item = (out as { item: { line: string; reject?: string } }).item;
  expect(item.reject).toBeUndefined();
  const parsed = parseAuditEvent(item.line);
  if (!parsed.ok) throw new Error(`not a valid event: ${JSON.stringify(parsed.issues)}`);
  expect(parsed.event.event_type).toBe('CONTAINER_EXEC');
  return parsed.event as EventOf<'CONTAINER_EXEC'>;
}

/** The reject a line becomes: kept as it arrived, with why. */
function rejected(text: string): string {
  const out = classify(text);
  expect(out).toMatchObject({ kind: 'sink', item: { line: text } });
  return (out as { item: { reject: string } }).item.reject;
}

describe('Kubernetes audit: pods/exec and pods/attach become CONTAINER_EXEC', () => {
  it('maps kubectl exec over WebSocket (verb get, 101 when the stream opened): who, from where, which pod and container, what command, with a terminal', () => {
    const e = mapped(execEvent('ResponseStarted'));
    expect(e).toMatchObject({
      event_type: 'CONTAINER_EXEC',
      outcome: 'success',
      event_time: '2026-03-02T09:14:07.512Z',
      user_id: 'alice@example.com',
      client_ip: '198.51.100.20',
      client_ip_source: 'socket',
      user_agent: 'kubectl/v1.33.3 (linux/amd64) kubernetes/80779bd',
      producer: { service: 'kube-apiserver' },
      correlation: { request_id: 'b6a4a1c0-3f0e-4a8e-9a53-6f1d2c7e9b10' },
      runtime: { k8s_namespace: 'shop', k8s_pod: POD.name, k8s_container: 'app' },
      container: { name: 'app' },
      process: { command_line: '/bin/sh', tty: true, interactive: true },
      detector: { name: 'kubernetes-audit', rule: 'pods/exec' },
    });
    // The API server knows the pod and the container's name, not the runtime's id.
    expect(e.container).toEqual({ name: 'app' });
    expect(e).not.toHaveProperty('error');
    expect(e).not.toHaveProperty('impersonated_user_id');
  });

  it('maps exec over SPDY (POST, verb create) the same way, the command parameters joined in order, an argument with spaces quoted', () => {
    const e = mapped(
      execEvent('ResponseStarted', {
        verb: 'create',
        requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=sh&command=-c&command=cat+%2Fetc%2Fshadow&container=app&stdout=true&stderr=true`,
      }),
    );
    expect(e).toMatchObject({ outcome: 'success', process: { command_line: "sh -c 'cat /etc/shadow'", tty: false, interactive: false } });
    // Not the same command as cat reading /etc/shadow after sh -c cat: the boundaries stay.
    const split = mapped(execEvent('ResponseStarted', { requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=sh&command=-c&command=cat&command=%2Fetc%2Fshadow` }));
    expect(split.process.command_line).toBe('sh -c cat /etc/shadow');
    expect(mapped(execEvent('ResponseStarted', { requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=echo&command=it%27s&command=` })).process.command_line).toBe("echo 'it'\\''s' ''");
  });

  it('reads the query as the API server does (Go url.ParseQuery): a pair with ";" or a bad escape is dropped, not recorded as what ran', () => {
    const run = (q: string) => mapped(execEvent('ResponseStarted', { requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?${q}` }));
    // The API server ran rm -rf /data; "/bin/echo%zz" or "/bin/echo;" never reached the container.
    expect(run('command=/bin/echo%zz&command=rm&command=-rf&command=/data').process.command_line).toBe('rm -rf /data');
    expect(run('command=/bin/echo;&command=rm&command=-rf&command=/data').process.command_line).toBe('rm -rf /data');
    // The command ran in db, not in "app%zz".
    const e = run('container=app%zz&container=db&command=id');
    expect(e.container.name).toBe('db');
    expect(e.runtime?.k8s_container).toBe('db');
    // Escapes next to a character outside the BMP, written raw: both read whole.
    expect(run('command=echo&command=%F0%9F%94%91\u{1F512}').process.command_line).toBe("echo '\u{1F511}\u{1F512}'");
    // strings.EqualFold: "falſe" (long s) is false, as Go reads it.
    expect(run('command=id&tty=fal%C5%BFe').process.tty).toBe(false);
  });

  it('maps an exec through the node proxy, straight to the kubelet (get on nodes/proxy is enough), and skips other proxied paths', () => {
    const viaNode = (requestURI: string, verb = 'get') =>
      line(execEvent('ResponseStarted', { verb, requestURI, objectRef: { resource: 'nodes', name: 'worker-3', subresource: 'proxy', apiVersion: 'v1' } }));
    const e = JSON.parse((classify(viaNode('/api/v1/nodes/worker-3/proxy/exec/shop/api-6f7d/app?command=sh&command=-c&command=id&input=1&output=1&tty=1')) as { item: { line: string } }).item.line);
    expect(e).toMatchObject({
      event_type: 'CONTAINER_EXEC',
      user_id: 'alice@example.com',
      runtime: { k8s_namespace: 'shop', k8s_pod: 'api-6f7d', k8s_container: 'app', k8s_node: 'worker-3' },
      container: { name: 'app' },
      process: { command_line: 'sh -c id', tty: true, interactive: true },
      detector: { name: 'kubernetes-audit', rule: 'nodes/proxy exec' },
    });
    // With the pod's uid in the path, and the kubelet's run route (its command in cmd).
    const run = JSON.parse((classify(viaNode('/api/v1/nodes/worker-3/proxy/run/shop/api-6f7d/0b6f-uid/app?cmd=cat%20/etc/shadow', 'create')) as { item: { line: string } }).item.line);
    expect(run).toMatchObject({ runtime: { k8s_pod: 'api-6f7d', k8s_container: 'app' }, process: { command_line: 'cat /etc/shadow' }, detector: { rule: 'nodes/proxy run' } });
    expect(classify(viaNode('/api/v1/nodes/worker-3/proxy/metrics'))).toEqual({ kind: 'non_audit' });
    expect(classify(viaNode('/api/v1/nodes/worker-3/proxy/logs/'))).toEqual({ kind: 'non_audit' });
  });

  it('maps an exec through the node proxy whose path is escaped or has dot segments: the API server decodes and cleans it before the kubelet runs it, the audit line keeps it as sent (found by a probe: not mapped, dropped unparsed)', () => {
    const viaNode = (requestURI: string) =>
      line(execEvent('ResponseStarted', { verb: 'get', requestURI, objectRef: { resource: 'nodes', name: 'worker-3', subresource: 'proxy', apiVersion: 'v1' } }));
    for (const path of ['/api/v1/nodes/worker-3/proxy/%65xec/shop/api-6f7d/app', '/api/v1/nodes/worker-3/proxy/exec%2Fshop%2Fapi-6f7d%2Fapp', '/api/v1/nodes/worker-3/proxy/./exec/shop/api-6f7d/app', '/api/v1/nodes/worker-3/proxy/logs/../exec/shop//api-6f7d/app/']) {
      const out = classify(viaNode(`${path}?command=sh&input=1&tty=1`));
      expect(out, path).toMatchObject({ kind: 'sink', container: true });
      expect(JSON.parse((out as { item: { line: string } }).item.line), path).toMatchObject({
        event_type: 'CONTAINER_EXEC',
        user_id: 'alice@example.com',
        runtime: { k8s_namespace: 'shop', k8s_pod: 'api-6f7d', k8s_container: 'app', k8s_node: 'worker-3' },
        process: { command_line: 'sh', tty: true, interactive: true },
        detector: { rule: 'nodes/proxy exec' },
      });
    }
    // Decoded once, as Go does: %2565 is "%65" for the kubelet, no route of its.
    expect(classify(viaNode('/api/v1/nodes/worker-3/proxy/%2565xec/shop/api-6f7d/app?command=sh'))).toEqual({ kind: 'non_audit' });
    expect(classify(viaNode('/api/v1/nodes/worker-3/proxy/exec/../metrics'))).toEqual({ kind: 'non_audit' });
  });

  it('a request body holding "log_type":"security_audit" does not make the API server\'s line an audit-trail line', () => {
    const configMap = line({ ...execEvent('ResponseComplete'), verb: 'create', requestURI: '/api/v1/namespaces/shop/configmaps', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'x', apiVersion: 'v1' }, requestObject: { data: { log_type: 'security_audit' } } });
    expect(configMap).toContain('"log_type":"security_audit"');
    expect(classify(configMap)).toEqual({ kind: 'non_audit' });
  });

  it('keeps an exec the API server refused (403) as a failure with its reason and message: someone tried', () => {
    const e = mapped(deniedExecEvent('ResponseComplete'));
    expect(e).toMatchObject({
      outcome: 'failure',
      user_id: 'mallory@example.com',
      client_ip: '203.0.113.77',
      process: { command_line: 'bash -il', tty: true, interactive: true },
      error: {
        code: 'K8S_403_FORBIDDEN',
        message: `pods "${POD.name}" is forbidden: User "mallory@example.com" cannot create resource "pods/exec" in API group "" in the namespace "shop"`,
      },
    });
  });

  it('keeps an exec whose credentials failed (401, audited without a user) as a failure without user_id', () => {
    // apiserver filters/authn_audit.go: a failed authentication is audited at ResponseStarted, no user.
    const e = mapped(execEvent('ResponseStarted', { user: {}, responseStatus: { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 } }));
    expect(e).toMatchObject({ outcome: 'failure', error: { code: 'K8S_401', message: 'Authentication failed, attempted: bearer' } });
    expect(e).not.toHaveProperty('user_id');
  });

  it('maps a Panic (500) as a failure, and a response without a status code as unknown', () => {
    expect(mapped(execEvent('Panic'))).toMatchObject({ outcome: 'failure', error: { code: 'K8S_500', message: 'HTTP 500' } });
    expect(mapped(execEvent('ResponseComplete', { responseStatus: { metadata: {} } }))).toMatchObject({ outcome: 'unknown' });
    expect(mapped(execEvent('ResponseComplete', { responseStatus: undefined }))).toMatchObject({ outcome: 'unknown' });
  });

  it('maps kubectl attach: no command runs, the stream joins the container\'s main process', () => {
    expect(mapped(attachEvent())).toMatchObject({
      process: { command_line: '(attach)', tty: true, interactive: true },
      detector: { name: 'kubernetes-audit', rule: 'pods/attach' },
      container: { name: 'app' },
    });
  });

  it('names the authenticated user in user_id, and whom they acted as (kubectl --as) in impersonated_user_id', () => {
    const e = mapped(execEvent('ResponseStarted', { impersonatedUser: { username: 'system:serviceaccount:shop:deployer', groups: ['system:serviceaccounts'] } }));
    expect(e).toMatchObject({ user_id: 'alice@example.com', impersonated_user_id: 'system:serviceaccount:shop:deployer' });
  });

  it('takes client_ip from the last of sourceIPs, the one the client cannot set, and keeps none of the others', () => {
    // types.go: X-Forwarded-For, then X-Real-Ip, then the remote address; "All but the last IP can be arbitrarily set by the client".
    const out = classify(line(execEvent('ResponseStarted', { sourceIPs: ['192.0.2.250', '2001:db8::7', '10.20.0.14'] })));
    const text = (out as { item: { line: string } }).item.line;
    expect(JSON.parse(text)).toMatchObject({ client_ip: '10.20.0.14', client_ip_source: 'socket' });
    expect(text).not.toContain('192.0.2.250');
    expect(text).not.toContain('2001:db8::7');
    expect(mapped(execEvent('ResponseStarted', { sourceIPs: [] }))).not.toHaveProperty('client_ip');
  });

  it('without a container parameter (the API server picks the pod\'s only container) names the pod only', () => {
    const e = mapped(execEvent('ResponseStarted', { requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=id&stdout=1` }));
    expect(e.container).toEqual({});
    expect(e.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name });
    expect(e).toMatchObject({ process: { command_line: 'id', tty: false, interactive: false } });
  });

  it('reads stdin and tty as the API server does: absent, "0" or "false" (any case) are false, anything else true', () => {
    // k8s.io/apimachinery/pkg/runtime/conversion.go, Convert_Slice_string_To_bool.
    const flags = (q: string) => streamRequestOf(`/api/v1/namespaces/n/pods/p/exec?command=sh&${q}`);
    expect([flags('tty=true'), flags('tty=1'), flags('tty=TRUE'), flags('tty='), flags('tty=yes')].map((r) => r.tty)).toEqual([true, true, true, true, true]);
    expect([flags('tty=false'), flags('tty=FALSE'), flags('tty=0'), flags(''), flags('tty=0&tty=1')].map((r) => r.tty)).toEqual([false, false, false, false, false]);
    expect(flags('stdin=true&container=&container=app')).toEqual({ command: ['sh'], stdin: true, tty: false });
  });

  it('gives every stage of one request, and a resend, one event id; another request another', () => {
    const id = (event: Record<string, unknown>) => mapped(event).event_id;
    const first = id(execEvent('ResponseStarted'));
    expect(id(execEvent('ResponseComplete'))).toBe(first);
    expect(id(execEvent('Panic'))).toBe(first);
    expect(id(execEvent('ResponseStarted'))).toBe(first);
    // The id keeps the request's time (UUIDv7 layout).
    expect(parseInt(first.slice(0, 8) + first.slice(9, 13), 16)).toBe(Date.parse(RECEIVED));
    expect(id(execEvent('ResponseStarted', { auditID: 'c0ffee00-0000-4000-8000-000000000001' }))).not.toBe(first);
    // The client may choose the auditID (its Audit-ID header): a later request reusing
    // one is still another event, since the API server sets the time it was received.
    expect(id(execEvent('ResponseStarted', { requestReceivedTimestamp: '2026-03-02T09:14:07.512346Z' }))).not.toBe(first);
  });

  it('skips RequestReceived (no status yet: stored first it would hide a refusal) and every other request, counted as non-audit', () => {
    expect(classify(line(execEvent('ResponseStarted')))).toMatchObject({ kind: 'sink', container: true });
    expect(classify(line(execEvent('RequestReceived')))).toEqual({ kind: 'non_audit' });
    expect(classify(line(deniedExecEvent('RequestReceived')))).toEqual({ kind: 'non_audit' });
    for (const event of otherEvents()) expect(classify(line(event)), String(event.requestURI)).toEqual({ kind: 'non_audit' });
    // v1beta1 (--audit-log-version before 1.24) has the same fields: read as well; another API is not.
    expect(classify(line({ ...execEvent(), apiVersion: 'audit.k8s.io/v1beta1' }))).toMatchObject({ kind: 'sink', container: true });
    expect(classify(line({ ...execEvent(), apiVersion: 'audit.k8s.io/v2' }))).toEqual({ kind: 'non_audit' });
    // Go's time.Parse refuses a day the month does not have; Date.parse would roll it over.
    expect(classify(line(execEvent('ResponseStarted', { requestReceivedTimestamp: '2024-02-30T10:00:00Z' })))).toMatchObject({ item: { reject: expect.stringMatching(/^CONTAINER_EVENT_INVALID: requestReceivedTimestamp "2024-02-30T10:00:00Z" is not an RFC 3339 time/) } });
    // Nor an hour 24 (Date.parse read 24:00:00 as the next day's midnight).
    expect(classify(line(execEvent('ResponseStarted', { requestReceivedTimestamp: '2024-02-28T24:00:00Z' })))).toMatchObject({ item: { reject: expect.stringMatching(/^CONTAINER_EVENT_INVALID: requestReceivedTimestamp "2024-02-28T24:00:00Z" is not an RFC 3339 time/) } });
  });

  it('maps the line whether Fluent Bit sends it as `log` (tail without a parser) or parsed to top level', () => {
    const n = new RecordNormalizer(
      { tagTemplate: DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 100_000, maxOpen: 2, maxOpenBytes: 1 << 30, maxAgeMs: 1000 }, containerEventTags: trusted },
      newCounters(),
    );
    const run = (record: unknown) => {
      const out: Normalized[] = [];
      n.normalize(TAG, record, 0, 'test', out);
      return out;
    };
    const [asLog] = run({ log: `${line(execEvent())}\n` }) as { item: { line: string; meta: object } }[];
    const [parsed] = run(execEvent()) as { item: { line: string; meta: object } }[];
    expect(asLog!.item.line).toBe(parsed!.item.line);
    expect(asLog!.item.meta).toEqual({ source_tag: TAG });
    expect(JSON.parse(parsed!.item.line)).toMatchObject({ event_type: 'CONTAINER_EXEC', user_id: 'alice@example.com' });
    expect(run(otherEvents()[0])).toEqual([{ kind: 'non_audit' }]);
  });
});

describe('Kubernetes audit: hostile values', () => {
  it('keeps newlines and ANSI escapes in a command visible as escapes, never as terminal control', () => {
    const uri = `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=sh&command=-c&command=${encodeURIComponent('echo ok\n\u001b[2J\u001b[31mfake prompt$ \u2028')}&container=app`;
    const e = mapped(execEvent('ResponseStarted', { requestURI: uri }));
    expect(e.process.command_line).toBe("sh -c 'echo ok\\x0a\\x1b[2J\\x1b[31mfake prompt$ \\u2028'");
  });

  it('cuts a huge command to the column (4000), flags a user agent over 1024, and takes a huge URI without trouble', () => {
    const command = 'A'.repeat(1_000_000);
    const e = mapped(execEvent('ResponseStarted', { requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=${command}&tty=true`, userAgent: `curl/8 ${'x'.repeat(5000)}` }));
    expect(e.process.command_line).toBe('A'.repeat(4000));
    expect(e.user_agent).toHaveLength(1024);
    expect(e.user_agent_truncated).toBe(true);
  });

  it('stores a value the schema refuses (it would name someone or somewhere else) as a reject with the line', () => {
    for (const [patch, why] of [
      [{ user: { username: 'alice\n2026-03-02 root logged in' } }, /^CONTAINER_EVENT_INVALID: user_id: must not contain control characters/],
      [{ user: { username: 'u'.repeat(300) } }, /^CONTAINER_EVENT_INVALID: user_id: /],
      [{ impersonatedUser: { username: 'system:admin\u001b[0m' } }, /^CONTAINER_EVENT_INVALID: impersonated_user_id: /],
      [{ objectRef: { resource: 'pods', namespace: 'shop', name: 'p'.repeat(254), subresource: 'exec' } }, /^CONTAINER_EVENT_INVALID: runtime\.k8s_pod: /],
      [{ requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/exec?command=sh&container=app%0Aroot` }, /^CONTAINER_EVENT_INVALID: (runtime\.k8s_container|container\.name): /],
      [{ sourceIPs: ['198.51.100.20', 'not-an-ip'] }, /^CONTAINER_EVENT_INVALID: client_ip: must be an IPv4 or IPv6 address/],
    ] as const) {
      const text = line(execEvent('ResponseStarted', patch));
      expect(rejected(text), JSON.stringify(patch).slice(0, 80)).toMatch(why);
    }
  });

  it('stores an event missing a field the mapping needs, or with one of the wrong type, as a reject with the line', () => {
    const without = (key: string) => {
      const e = execEvent('ResponseStarted');
      delete e[key];
      return e;
    };
    for (const [event, why] of [
      [without('auditID'), 'auditID is missing'],
      [without('requestReceivedTimestamp'), 'requestReceivedTimestamp is missing'],
      [without('requestURI'), 'requestURI is missing'],
      [execEvent('ResponseStarted', { requestReceivedTimestamp: 'yesterday' }), 'requestReceivedTimestamp "yesterday" is not an RFC 3339 time'],
      [execEvent('ResponseStarted', { requestReceivedTimestamp: '+275760-09-13T00:00:00Z' }), 'requestReceivedTimestamp "+275760-09-13T00:00:00Z" is not an RFC 3339 time'],
      [execEvent('ResponseStarted', { requestReceivedTimestamp: 1772442847 }), 'requestReceivedTimestamp is a number, not a string'],
      [execEvent('ResponseStarted', { objectRef: { resource: 'pods', name: POD.name, subresource: 'exec' } }), 'objectRef.namespace is missing'],
      [execEvent('ResponseStarted', { stage: 'Whenever' }), 'stage "Whenever" is not an audit stage'],
      [execEvent('ResponseStarted', { stage: 7 }), 'stage is a number, not a string'],
      [execEvent('ResponseStarted', { user: 'alice' }), 'user is a string, not an object'],
      [execEvent('ResponseStarted', { user: { username: ['alice'] } }), 'user.username is an array, not a string'],
      [execEvent('ResponseStarted', { sourceIPs: '198.51.100.20' }), 'sourceIPs is not an array'],
      [execEvent('ResponseStarted', { responseStatus: { code: '101' } }), 'responseStatus.code "101" is not an HTTP status code'],
      [execEvent('ResponseStarted', { responseStatus: { code: 403, message: { text: 'x' } } }), 'responseStatus.message is not a string'],
    ] as const) {
      expect(rejected(line(event))).toBe(`CONTAINER_EVENT_INVALID: ${why}`);
    }
  });

  it('from a tag containerEventTags does not list, stores the line as a reject naming the tag, not as an event', () => {
    const text = line(execEvent());
    const out = classify(text, 'kube.var.log.containers.web-7d4b9_shop_app-0123456789abcdef.log');
    expect(out).toEqual({
      kind: 'sink',
      item: {
        line: text,
        meta: { source_tag: 'kube.var.log.containers.web-7d4b9_shop_app-0123456789abcdef.log' },
        source: 'test',
        reject: 'CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from kube-apiserver arrived with tag "kube.var.log.containers.web-7d4b9_shop_app-0123456789abcdef.log", which containerEventTags does not list',
      },
    });
  });
});

// kubectl debug POD --image=... adds an ephemeral container to the running
// pod: a PATCH (strategic merge, kubectl 1.22 and later) or a PUT of
// pods/ephemeralcontainers (core/v1 EphemeralContainer; kubectl
// pkg/cmd/debug/debug.go, debugByEphemeralContainer and profiles.go). Its
// image and command are only in the request body, logged as requestObject at
// level Request (apiserver audit/context.go, LogRequestPatch: the patch as sent).

/** When the debug request reached the API server. */
const DEBUG_RECEIVED = '2026-03-02T11:40:02.318220Z';

/** The container `kubectl debug cart-... --image=busybox --target=app -- sh -c 'cat /proc/1/root/etc/shadow'` adds (profile general: SYS_PTRACE). */
const DEBUGGER = {
  command: ['sh', '-c', 'cat /proc/1/root/etc/shadow'],
  image: 'busybox',
  name: 'debugger-7xk2p',
  resources: {},
  securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
  targetContainerName: 'app',
  terminationMessagePolicy: 'File',
};

/** `kubectl debug cart-... -it --image=nicolaka/netshoot --target=app --profile=sysadmin`: privileged, no command (the image's own). */
const SYSADMIN = {
  image: 'nicolaka/netshoot',
  name: 'debugger-q9w4m',
  resources: {},
  securityContext: { privileged: true },
  stdin: true,
  targetContainerName: 'app',
  terminationMessagePolicy: 'File',
  tty: true,
};

/** kubectl's strategic merge patch (strategicpatch.CreateTwoWayMergePatch): the new elements, and $setElementOrder naming the whole list. */
function mergePatch(containers: Record<string, unknown>[], before: string[] = []): Record<string, unknown> {
  return { spec: { '$setElementOrder/ephemeralContainers': [...before, ...containers.map((c) => c.name)].map((name) => ({ name })), ephemeralContainers: containers } };
}

/** The audit event of a kubectl debug request at level Request, as logged at `stage` (no ResponseStarted: the request is not long-running); an exec's fields otherwise. */
function debugEvent(stage: 'RequestReceived' | 'ResponseComplete' | 'Panic' = 'ResponseComplete', patch: Record<string, unknown> = {}): Record<string, unknown> {
  const responded = stage !== 'RequestReceived';
  return execEvent(stage, {
    level: 'Request',
    auditID: '3d1c6a57-9a0e-4f7b-8e2d-5c4b3a291f08',
    requestURI: `/api/v1/namespaces/${POD.namespace}/pods/${POD.name}/ephemeralcontainers`,
    verb: 'patch',
    objectRef: { resource: 'pods', namespace: POD.namespace, name: POD.name, apiVersion: 'v1', subresource: 'ephemeralcontainers' },
    // The handler logs the patch once it has read the body: after RequestReceived.
    ...(responded ? { requestObject: mergePatch([DEBUGGER]), responseStatus: { metadata: {}, code: stage === 'Panic' ? 500 : 200 } } : {}),
    requestReceivedTimestamp: DEBUG_RECEIVED,
    stageTimestamp: responded ? '2026-03-02T11:40:02.331907Z' : DEBUG_RECEIVED,
    ...patch,
  });
}

/** A PUT of the whole Pod (client-go UpdateEphemeralContainers after a GET): the earlier debugger restated, `added` appended. */
function podPut(added: Record<string, unknown>, statuses: string[] = ['debugger-7xk2p']): Record<string, unknown> {
  return debugEvent('ResponseComplete', {
    verb: 'update',
    requestObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: POD.name, namespace: POD.namespace, uid: '6b7e0c2a-41d9-4c1e-9f3a-2d8b5e7c1a90', resourceVersion: '882193', labels: { app: 'cart' } },
      spec: {
        containers: [{ name: 'app', image: 'registry.example.com/shop/cart:4.2.1', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
        ephemeralContainers: [{ ...DEBUGGER, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'Always' }, added],
        restartPolicy: 'Always',
        nodeName: 'worker-3',
      },
      status: {
        phase: 'Running',
        ephemeralContainerStatuses: statuses.map((name) => ({ name, state: { terminated: { exitCode: 0, reason: 'Completed' } }, ready: false, restartCount: 0, image: 'docker.io/library/busybox:latest', imageID: '' })),
      },
    },
  });
}

describe('Kubernetes audit: kubectl debug (pods/ephemeralcontainers) becomes CONTAINER_EXEC', () => {
  it('maps kubectl debug without -i (strategic merge PATCH): who, from where, which pod, the new container, its image and command, what it may do', () => {
    const e = mapped(debugEvent());
    expect(e).toMatchObject({
      event_type: 'CONTAINER_EXEC',
      outcome: 'success',
      severity: 3,
      event_time: '2026-03-02T11:40:02.318Z',
      user_id: 'alice@example.com',
      client_ip: '198.51.100.20',
      client_ip_source: 'socket',
      user_agent: 'kubectl/v1.33.3 (linux/amd64) kubernetes/80779bd',
      producer: { service: 'kube-apiserver' },
      correlation: { request_id: '3d1c6a57-9a0e-4f7b-8e2d-5c4b3a291f08' },
      detector: { name: 'kubernetes-audit', rule: 'pods/ephemeralcontainers' },
    });
    expect(e.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name, k8s_container: 'debugger-7xk2p' });
    expect(e.container).toEqual({ name: 'debugger-7xk2p', image: 'busybox', target: 'app', privileged: false, capabilities: ['SYS_PTRACE'] });
    // Quoted as an exec's command is: one argument, not three.
    expect(e.process).toEqual({ command_line: "sh -c 'cat /proc/1/root/etc/shadow'", tty: false, interactive: false });
    expect(e).not.toHaveProperty('error');
    expect(e).not.toHaveProperty('impersonated_user_id');
  });

  it('keeps the target container (--target, the one whose processes and files it reaches) as container.target, valid in schema 1.2.0, and in the OCSF and ECS forms', () => {
    const added = addedContainersOf(mergePatch([DEBUGGER]));
    expect(added).toEqual({
      kind: 'read',
      containers: [{ name: 'debugger-7xk2p', image: 'busybox', command: ['sh', '-c', 'cat /proc/1/root/etc/shadow'], args: [], target: 'app', stdin: false, tty: false, privileged: false, capabilities: ['SYS_PTRACE'] }],
    });
    const e = mapped(debugEvent());
    expect(e).toMatchObject({ schema_version: '1.3.0', container: { target: 'app' } });
    expect((toOcsf(e).unmapped as { target_container?: string }).target_container).toBe('app');
    expect((toEcs(e).audit_trail as { target_container?: string }).target_container).toBe('app');
    // Without --target there is none.
    const { targetContainerName: _t, ...untargeted } = DEBUGGER;
    expect(mapped(debugEvent('ResponseComplete', { requestObject: mergePatch([untargeted]) })).container).not.toHaveProperty('target');
  });

  it('maps --profile=sysadmin -it as privileged (severity High), with a terminal and input, running the image\'s own command', () => {
    const e = mapped(debugEvent('ResponseComplete', { requestObject: mergePatch([SYSADMIN], ['debugger-7xk2p']), impersonatedUser: { username: 'system:serviceaccount:shop:deployer' } }));
    expect(e).toMatchObject({ severity: 4, user_id: 'alice@example.com', impersonated_user_id: 'system:serviceaccount:shop:deployer' });
    expect(e.container).toEqual({ name: 'debugger-q9w4m', image: 'nicolaka/netshoot', target: 'app', privileged: true });
    expect(e.process).toEqual({ command_line: '(image default)', tty: true, interactive: true });
    // args alone follow the image's ENTRYPOINT, which the request does not name.
    const argsOnly = mapped(debugEvent('ResponseComplete', { requestObject: mergePatch([{ ...DEBUGGER, command: undefined, args: ['-c', 'id'] }]) }));
    expect(argsOnly.process.command_line).toBe('(image entrypoint) -c id');
    // A real argument that looks like a marker is quoted.
    expect(mapped(debugEvent('ResponseComplete', { requestObject: mergePatch([{ ...DEBUGGER, command: ['(image default)'] }]) })).process.command_line).toBe("'(image default)'");
  });

  it('maps a PUT of the whole Pod: every ephemeral container it restates is named, the client\'s own status hiding none', () => {
    const added = { name: 'debugger-r2d8v', image: 'alpine:3.20', command: ['nsenter', '-t', '1', '-m', '--', 'cat', '/etc/shadow'], targetContainerName: 'app', terminationMessagePolicy: 'File' };
    const e = mapped(podPut(added));
    expect(e).toMatchObject({ outcome: 'success', user_id: 'alice@example.com', detector: { rule: 'pods/ephemeralcontainers' } });
    expect(e.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name, k8s_container: 'debugger-7xk2p,debugger-r2d8v' });
    // Both reach app: named once.
    expect(e.container).toEqual({ name: 'debugger-7xk2p,debugger-r2d8v', image: 'busybox,alpine:3.20', target: 'app', privileged: false, capabilities: ['SYS_PTRACE'] });
    expect(e.process.command_line).toBe("debugger-7xk2p: sh -c 'cat /proc/1/root/etc/shadow' ; debugger-r2d8v: nsenter -t 1 -m -- cat /etc/shadow");
    // A client listing its new container in the status it sends (the server ignores it) hides nothing.
    expect(mapped(podPut(added, ['debugger-7xk2p', 'debugger-r2d8v'])).container.name).toBe('debugger-7xk2p,debugger-r2d8v');
    // The EphemeralContainers object the subresource took until Kubernetes 1.21 (kubectl 1.18 to 1.21 PUT it).
    const legacy = mapped(debugEvent('ResponseComplete', { verb: 'update', requestObject: { kind: 'EphemeralContainers', apiVersion: 'v1', metadata: { name: POD.name, namespace: 'shop' }, ephemeralContainers: [SYSADMIN] } }));
    expect(legacy.container).toEqual({ name: 'debugger-q9w4m', image: 'nicolaka/netshoot', target: 'app', privileged: true });
  });

  it('names every container of a patch adding two, privileged if one is, with every capability added', () => {
    const second = { name: 'debugger-b', image: 'alpine', stdin: true, securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'SYS_PTRACE'] } } };
    // A $patch: delete element removes (and is refused for an ephemeral container): it adds nothing.
    const patch = mergePatch([DEBUGGER, second]);
    (patch.spec as { ephemeralContainers: unknown[] }).ephemeralContainers.push({ $patch: 'delete', name: 'debugger-old' });
    const e = mapped(debugEvent('ResponseComplete', { requestObject: patch }));
    expect(e).toMatchObject({ severity: 4, runtime: { k8s_container: 'debugger-7xk2p,debugger-b' } });
    // One targets app, the other nothing: app alone.
    expect(e.container).toEqual({ name: 'debugger-7xk2p,debugger-b', image: 'busybox,alpine', target: 'app', privileged: true, capabilities: ['SYS_PTRACE', 'NET_ADMIN'] });
    expect(e.process).toEqual({ command_line: "debugger-7xk2p: sh -c 'cat /proc/1/root/etc/shadow' ; debugger-b: (image default)", tty: false, interactive: true });
  });

  it('reads a JSON patch adding a container; one writing inside a container, or copying one in, is unknown rather than a command that did not run', () => {
    const jsonPatch = (ops: unknown[]) => mapped(debugEvent('ResponseComplete', { requestObject: ops }));
    const add = { op: 'add', path: '/spec/ephemeralContainers/-', value: DEBUGGER };
    expect(jsonPatch([add]).container).toMatchObject({ name: 'debugger-7xk2p', image: 'busybox' });
    // kubectl's fallback for 1.16 to 1.21 servers patched the EphemeralContainers object.
    expect(jsonPatch([{ ...add, path: '/ephemeralContainers/-' }]).container.name).toBe('debugger-7xk2p');
    // The whole spec replaced, or the whole list: read from the value.
    expect(jsonPatch([{ op: 'replace', path: '/spec', value: { containers: [], ephemeralContainers: [SYSADMIN] } }]).container.name).toBe('debugger-q9w4m');
    expect(jsonPatch([{ op: 'add', path: '/spec/ephemeralContainers', value: [SYSADMIN] }]).container.privileged).toBe(true);
    // "" points at the whole document (RFC 6901).
    expect(jsonPatch([{ op: 'replace', path: '', value: { kind: 'Pod', apiVersion: 'v1', spec: { ephemeralContainers: [SYSADMIN] } } }]).container.name).toBe('debugger-q9w4m');
    // sleep 1 was added, then its command replaced: what ran is not what the first operation says.
    const rewritten = jsonPatch([{ ...add, value: { ...DEBUGGER, command: ['sleep', '1'] } }, { op: 'replace', path: '/spec/ephemeralContainers/0/command', value: ['sh', '-c', 'id'] }]);
    expect(rewritten.process).toEqual({ command_line: '(unknown)' });
    expect(rewritten.container).toEqual({});
    expect(rewritten.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name });
    expect(jsonPatch([{ op: 'copy', from: '/spec/containers/0', path: '/spec/ephemeralContainers/-' }]).process.command_line).toBe('(unknown)');
    // Its command removed (the image's own runs), or moved out: unknown too. Copied out, or tested: as added.
    expect(jsonPatch([add, { op: 'remove', path: '/spec/ephemeralContainers/0/command' }]).process.command_line).toBe('(unknown)');
    expect(jsonPatch([add, { op: 'move', from: '/spec/ephemeralContainers/0/command', path: '/metadata/annotations/x' }]).process.command_line).toBe('(unknown)');
    expect(jsonPatch([add, { op: 'copy', from: '/spec/ephemeralContainers/0/name', path: '/metadata/annotations/x' }, { op: 'test', path: '/spec/ephemeralContainers/0/name', value: 'debugger-7xk2p' }]).process.command_line).toBe("sh -c 'cat /proc/1/root/etc/shadow'");
    // A body that adds no container says so.
    expect(jsonPatch([{ op: 'test', path: '/metadata/name', value: POD.name }]).process.command_line).toBe('(none)');
    expect(mapped(debugEvent('ResponseComplete', { requestObject: { spec: { ephemeralContainers: [] } } })).process.command_line).toBe('(none)');
  });

  it('keeps a debug the API server refused (403, its body never read) as a failure naming who tried on which pod', () => {
    const message = `pods "${POD.name}" is forbidden: User "mallory@example.com" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "shop"`;
    const refused = debugEvent('ResponseComplete', {
      auditID: '9c2e4b71-0d5a-4e3f-b6c8-1a7d9e0f2b34',
      user: { username: 'mallory@example.com', groups: ['contractors', 'system:authenticated'] },
      sourceIPs: ['203.0.113.77'],
      responseStatus: { metadata: {}, status: 'Failure', message, reason: 'Forbidden', details: { name: POD.name, kind: 'pods' }, code: 403 },
      annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
    });
    // Authorisation comes before the handler reads the body: a refused request has none, whatever the level.
    delete refused.requestObject;
    const e = mapped(refused);
    expect(e).toMatchObject({ outcome: 'failure', user_id: 'mallory@example.com', client_ip: '203.0.113.77', error: { code: 'K8S_403_FORBIDDEN', message }, detector: { rule: 'pods/ephemeralcontainers' } });
    expect(e.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name });
    expect(e.container).toEqual({});
    expect(e.process).toEqual({ command_line: '(unknown)' });
    // Refused with a body read (422: an ephemeral container cannot be changed): a failure naming what was asked.
    const invalid = mapped(debugEvent('ResponseComplete', { responseStatus: { metadata: {}, status: 'Failure', message: 'Pod "x" is invalid', reason: 'Invalid', code: 422 } }));
    expect(invalid).toMatchObject({ outcome: 'failure', error: { code: 'K8S_422_INVALID' }, container: { name: 'debugger-7xk2p' } });
  });

  it('at level Metadata (no body) still records that the user added an ephemeral container to the pod', () => {
    const metadataOnly = debugEvent('ResponseComplete', { level: 'Metadata' });
    delete metadataOnly.requestObject;
    const e = mapped(metadataOnly);
    expect(e).toMatchObject({ outcome: 'success', user_id: 'alice@example.com', detector: { name: 'kubernetes-audit', rule: 'pods/ephemeralcontainers' } });
    expect(e.runtime).toEqual({ k8s_namespace: 'shop', k8s_pod: POD.name });
    expect(e.container).toEqual({});
    expect(e.process).toEqual({ command_line: '(unknown)' });
  });

  it('gives the stages of one debug request one event id and skips RequestReceived; a read of the subresource is not mapped', () => {
    expect(classify(line(debugEvent('RequestReceived')))).toEqual({ kind: 'non_audit' });
    const first = mapped(debugEvent('ResponseComplete')).event_id;
    expect(mapped(debugEvent('Panic')).event_id).toBe(first);
    expect(parseInt(first.slice(0, 8) + first.slice(9, 13), 16)).toBe(Date.parse(DEBUG_RECEIVED));
    expect(mapped(debugEvent('ResponseComplete', { auditID: 'c0ffee00-0000-4000-8000-000000000002' })).event_id).not.toBe(first);
    expect(classify(line(debugEvent('ResponseComplete', { verb: 'get' })))).toEqual({ kind: 'non_audit' });
    expect(classify(line(debugEvent('ResponseComplete', { objectRef: { resource: 'pods', namespace: 'shop', name: 'x', apiGroup: 'example.com', apiVersion: 'v1', subresource: 'ephemeralcontainers' } })))).toEqual({ kind: 'non_audit' });
  });
});

describe('Kubernetes audit: hostile kubectl debug bodies', () => {
  /** A debug request adding `container` (a strategic merge patch). */
  const addingEvent = (container: Record<string, unknown>) => debugEvent('ResponseComplete', { requestObject: mergePatch([container]) });
  /** Its line. */
  const adding = (container: Record<string, unknown>) => line(addingEvent(container));
  /** The stored event a line, as written, maps to. */
  const mappedText = (text: string) => {
    const out = classify(text) as { item: { line: string; reject?: string } };
    expect(out.item.reject).toBeUndefined();
    return JSON.parse(out.item.line) as EventOf<'CONTAINER_EXEC'>;
  };

  it('keeps control characters in a command visible as escapes, and cuts a huge one to the column', () => {
    const e = mapped(addingEvent({ ...DEBUGGER, command: ['sh', '-c', 'echo ok\n\u001b[2J\u001b[31mfake prompt$ \u2028'] }));
    expect(e.process.command_line).toBe("sh -c 'echo ok\\x0a\\x1b[2J\\x1b[31mfake prompt$ \\u2028'");
    const huge = mapped(addingEvent({ ...DEBUGGER, command: ['A'.repeat(1_000_000)] }));
    expect(huge.process.command_line).toBe('A'.repeat(4000));
  });

  it('stores a value the schema refuses (it would name another container or image) as a reject with the line', () => {
    for (const [container, why] of [
      [{ ...DEBUGGER, name: 'debugger-7xk2p\nroot' }, /^CONTAINER_EVENT_INVALID: (runtime\.k8s_container|container\.name): must not contain control characters/],
      [{ ...DEBUGGER, image: `busybox@sha256:${'0'.repeat(600)}` }, /^CONTAINER_EVENT_INVALID: container\.image: /],
      [{ ...DEBUGGER, securityContext: { capabilities: { add: Array.from({ length: 65 }, (_, i) => `CAP_${i}`) } } }, /^CONTAINER_EVENT_INVALID: container\.capabilities: /],
      [{ ...DEBUGGER, securityContext: { capabilities: { add: ['SYS_ADMIN\u001b[0m'] } } }, /^CONTAINER_EVENT_INVALID: container\.capabilities\[0\]: must not contain control characters/],
    ] as const) {
      expect(rejected(adding(container)), JSON.stringify(container).slice(0, 80)).toMatch(why);
    }
  });

  it('stores a body with a field of the wrong type as a reject naming the field (the API server refuses such a request too)', () => {
    const withBody = (requestObject: unknown) => line(debugEvent('ResponseComplete', { requestObject }));
    for (const [text, why] of [
      [withBody('{"spec":{}}'), 'requestObject is a string, not an object'],
      [withBody({ spec: [] }), 'requestObject.spec is an array, not an object'],
      [withBody({ spec: { ephemeralContainers: { name: 'x' } } }), 'requestObject.spec.ephemeralContainers is an object, not an array'],
      [withBody({ spec: { ephemeralContainers: [7] } }), 'requestObject.spec.ephemeralContainers[0] is a number, not an object'],
      [adding({ ...DEBUGGER, command: 'sh -c id' }), 'requestObject.spec.ephemeralContainers[0].command is a string, not an array'],
      [adding({ ...DEBUGGER, command: ['sh', 1] }), 'requestObject.spec.ephemeralContainers[0].command[1] is a number, not a string'],
      [adding({ ...DEBUGGER, image: ['busybox'] }), 'requestObject.spec.ephemeralContainers[0].image is an array, not a string'],
      [adding({ ...DEBUGGER, securityContext: { privileged: 'true' } }), 'requestObject.spec.ephemeralContainers[0].securityContext.privileged is a string, not a boolean'],
      [adding({ ...DEBUGGER, securityContext: { capabilities: { add: [null] } } }), 'requestObject.spec.ephemeralContainers[0].securityContext.capabilities.add[0] is null, not a string'],
      [adding({ ...DEBUGGER, tty: 1 }), 'requestObject.spec.ephemeralContainers[0].tty is a number, not a boolean'],
      [withBody([{ op: 'add', path: 7 }]), 'requestObject[0].path is a number, not a string'],
      [withBody([{ op: 'replace', path: '/spec', value: { ephemeralContainers: [{ name: 'x', stdin: 'yes' }] } }]), 'requestObject[0].value.ephemeralContainers[0].stdin is a string, not a boolean'],
      [withBody(['add']), 'requestObject[0] is a string, not an object'],
      [withBody([{ op: 'add', path: '/spec/ephemeralContainers/-' }]), 'requestObject[0].value is missing'],
    ] as const) {
      expect(rejected(text)).toBe(`CONTAINER_EVENT_INVALID: ${why}`);
    }
  });

  it('reads keys the way the API server does: exactly, the last of a duplicate winning, __proto__ as a plain key', () => {
    // Go's JSON decoders keep the last of duplicate keys, as JSON.parse does; field names match exactly.
    const text = adding(DEBUGGER).replace('"command":["sh","-c","cat /proc/1/root/etc/shadow"]', '"command":["sleep","1"],"Command":["ignored"],"command":["sh","-c","id"]');
    expect(text).toContain('"Command":["ignored"]');
    expect(mappedText(text).process.command_line).toBe('sh -c id');
    const proto = adding(DEBUGGER).replace('"spec":{', '"__proto__":{"spec":{"ephemeralContainers":[{"name":"decoy"}]}},"spec":{');
    expect(proto).toContain('"decoy"');
    expect(mappedText(proto).container.name).toBe('debugger-7xk2p');
  });
});
