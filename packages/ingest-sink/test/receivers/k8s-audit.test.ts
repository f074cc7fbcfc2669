import { describe, expect, it } from 'vitest';
import type { Normalized } from '../../src/normalize/classify-line.js';
import { streamRequestOf } from '../../src/normalize/k8s-stream-request.js';
import { RecordNormalizer } from '../../src/normalize/record.js';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import { classify, mapped, rejected, TAG, trusted } from './helpers/k8s-audit-classify.js';
import { attachEvent, deniedExecEvent, execEvent, line, otherEvents, POD, RECEIVED } from './helpers/k8s-audit-events.js';

// Kubernetes API server audit events (audit.k8s.io/v1) for pods/exec and
// pods/attach become CONTAINER_EXEC events naming who opened the stream.
// Field semantics: kubernetes/kubernetes
// staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go.

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
