import { toEcs, toOcsf, type EventOf } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { addedContainersOf } from '../../src/normalize/k8s-ephemeral-containers.js';
import { classify, mapped, rejected } from './helpers/k8s-audit-classify.js';
import { execEvent, line, POD } from './helpers/k8s-audit-events.js';

// kubectl debug: PATCH or PUT of pods/ephemeralcontainers, audited by the
// API server, becomes CONTAINER_EXEC (split from k8s-audit.test.ts).

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
