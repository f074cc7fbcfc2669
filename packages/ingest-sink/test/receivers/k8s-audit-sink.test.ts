import Database from 'better-sqlite3';
import { bindQuery, REPORT_QUERIES } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Normalized } from '../../src/normalize/classify-line.js';
import { RecordNormalizer } from '../../src/normalize/record.js';
import { compileTagPatterns } from '../../src/normalize/tag-patterns.js';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import type { Sink } from '../../src/index.js';
import type { SinkItem } from '../../src/receivers/types.js';
import { deniedExecEvent, execEvent, line, POD } from './helpers/k8s-audit-events.js';
import { readEvents, readRejects, sqliteSink, tempDir } from './helpers/real-sink.js';

// The API server writes one request once per stage (audit/v1 types.go,
// Stage), all with its auditID: stored through the real sink on a real
// SQLite file, the stages of one request are one row.

const TAG = 'k8s.audit';

/**
 * `kubectl debug cart-... --image=busybox --target=app -- sh -c 'cat /proc/1/root/etc/shadow'`
 * at level Request: a strategic merge patch of pods/ephemeralcontainers
 * (kubectl pkg/cmd/debug/debug.go), logged at RequestReceived (before the
 * handler read the body) and ResponseComplete (200, with the patch).
 */
function debugEvent(stage: 'RequestReceived' | 'ResponseComplete'): Record<string, unknown> {
  const container = { command: ['sh', '-c', 'cat /proc/1/root/etc/shadow'], image: 'busybox', name: 'debugger-7xk2p', resources: {}, securityContext: { capabilities: { add: ['SYS_PTRACE'] } }, targetContainerName: 'app', terminationMessagePolicy: 'File' };
  return execEvent(stage, {
    level: 'Request',
    auditID: '3d1c6a57-9a0e-4f7b-8e2d-5c4b3a291f08',
    verb: 'patch',
    requestURI: `/api/v1/namespaces/${POD.namespace}/pods/${POD.name}/ephemeralcontainers`,
    objectRef: { resource: 'pods', namespace: POD.namespace, name: POD.name, apiVersion: 'v1', subresource: 'ephemeralcontainers' },
    requestReceivedTimestamp: '2026-03-02T11:40:02.318220Z',
    stageTimestamp: stage === 'RequestReceived' ? '2026-03-02T11:40:02.318220Z' : '2026-03-02T11:40:02.331907Z',
    ...(stage === 'ResponseComplete'
      ? { responseStatus: { metadata: {}, code: 200 }, requestObject: { spec: { '$setElementOrder/ephemeralContainers': [{ name: container.name }], ephemeralContainers: [container] } } }
      : {}),
  });
}

/** Normalises Fluent Bit tail records (`{log: line}`) under the trusted tag into sink items. */
function itemsOf(lines: string[]): SinkItem[] {
  const n = new RecordNormalizer(
    { tagTemplate: DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 100_000, maxOpen: 2, maxOpenBytes: 1 << 30, maxAgeMs: 1000 }, containerEventTags: compileTagPatterns([TAG]) },
    newCounters(),
  );
  const out: Normalized[] = [];
  for (const text of lines) n.normalize(TAG, { log: text }, 0, 'forward:test', out);
  return out.flatMap((o) => (o.kind === 'sink' ? [o.item] : []));
}

describe('Kubernetes audit stages through the real sink (SQLite file)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sink: Sink;
  let file: string;
  beforeEach(async () => {
    tmp = tempDir('at-k8s-');
    ({ sink, file } = await sqliteSink(tmp.dir));
  });
  afterEach(async () => {
    await sink.close();
    tmp.remove();
  });

  it('stores one event for the stages of one request and ignores their resend, whatever order they arrive in', async () => {
    const stages = [execEvent('RequestReceived'), execEvent('ResponseStarted'), execEvent('ResponseComplete')].map(line);
    // One write (one forward request), then the stages again in another write, reversed (a resend).
    expect(await sink.write(itemsOf(stages))).toEqual({ accepted: 2, rejected: 0 });
    expect(await sink.write(itemsOf([...stages].reverse()))).toEqual({ accepted: 2, rejected: 0 });
    await sink.flush();
    const rows = readEvents(file);
    expect(rows).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ committed: 1, duplicates: 3 });
    expect(rows[0]).toMatchObject({ event_type: 'CONTAINER_EXEC', source_tag: TAG, k8s_namespace: 'shop', k8s_pod: POD.name, container_name: 'app', container_id: null });
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT user_id, client_ip, outcome, command_line, user_agent_raw, event_timestamp FROM security_audit_events').get();
      expect(row).toEqual({
        user_id: 'alice@example.com',
        client_ip: '198.51.100.20',
        outcome: 'success',
        command_line: '/bin/sh',
        user_agent_raw: 'kubectl/v1.33.3 (linux/amd64) kubernetes/80779bd',
        event_timestamp: '2026-03-02T09:14:07.512Z',
      });
    } finally {
      db.close();
    }
    expect(readRejects(file)).toEqual([]);
  });

  it('stores a refused exec with its outcome, RequestReceived (which has none) never taking its place', async () => {
    await sink.write(itemsOf([line(deniedExecEvent('RequestReceived')), line(deniedExecEvent('ResponseComplete'))]));
    await sink.flush();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT user_id, outcome, error_details FROM security_audit_events').all()).toEqual([
        {
          user_id: 'mallory@example.com',
          outcome: 'failure',
          error_details: `K8S_403_FORBIDDEN: pods "${POD.name}" is forbidden: User "mallory@example.com" cannot create resource "pods/exec" in API group "" in the namespace "shop"`,
        },
      ]);
    } finally {
      db.close();
    }
  });

  it('stores kubectl debug without -i (an ephemeral container running a shell) once, and the shell report names who ran it in which pod, reaching which container', async () => {
    const stages = [debugEvent('RequestReceived'), debugEvent('ResponseComplete')].map(line);
    expect(await sink.write(itemsOf(stages))).toEqual({ accepted: 1, rejected: 0 });
    expect(await sink.write(itemsOf([...stages].reverse()))).toEqual({ accepted: 1, rejected: 0 });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 1, duplicates: 1 });
    expect(readRejects(file)).toEqual([]);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT event_type, user_id, client_ip, outcome, k8s_namespace, k8s_pod, container_name, image, command_line, event_timestamp FROM security_audit_events').all()).toEqual([
        {
          event_type: 'CONTAINER_EXEC',
          user_id: 'alice@example.com',
          client_ip: '198.51.100.20',
          outcome: 'success',
          k8s_namespace: 'shop',
          k8s_pod: POD.name,
          container_name: 'debugger-7xk2p',
          image: 'busybox',
          command_line: "sh -c 'cat /proc/1/root/etc/shadow'",
          event_timestamp: '2026-03-02T11:40:02.318Z',
        },
      ]);
      const q = bindQuery(REPORT_QUERIES['container-shell-sessions'], 'sqlite', { days: 36_500 });
      const rows = db.prepare(q.text).all(q.named) as Record<string, unknown>[];
      // target_container: the container whose processes and files (/proc/1/root) the debugger reaches.
      expect(rows.map((r) => [r.outcome, r.user_id, r.k8s_pod, r.container_name, r.target_container, r.image, r.command_line, r.detector])).toEqual([
        ['success', 'alice@example.com', POD.name, 'debugger-7xk2p', 'app', 'busybox', "sh -c 'cat /proc/1/root/etc/shadow'", 'kubernetes-audit'],
      ]);
    } finally {
      db.close();
    }
  });

  it('answers "who opened a shell in which container" with the container-shell-sessions report', async () => {
    await sink.write(itemsOf([line(execEvent('ResponseStarted')), line(deniedExecEvent('ResponseComplete'))]));
    await sink.flush();
    const db = new Database(file, { readonly: true });
    try {
      // Wide enough to reach back to the fixtures' 2026 dates from any test date.
      const q = bindQuery(REPORT_QUERIES['container-shell-sessions'], 'sqlite', { days: 36_500 });
      const rows = db.prepare(q.text).all(q.named) as Record<string, unknown>[];
      expect(rows.map((r) => [r.outcome, r.user_id, r.k8s_namespace, r.k8s_pod, r.container_name, r.command_line, r.detector])).toEqual([
        ['failure', 'mallory@example.com', 'shop', POD.name, 'app', 'bash -il', 'kubernetes-audit'],
        ['success', 'alice@example.com', 'shop', POD.name, 'app', '/bin/sh', 'kubernetes-audit'],
      ]);
    } finally {
      db.close();
    }
  });
});
