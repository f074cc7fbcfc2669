import { parseAuditEvent } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { makeLine } from '../../test/receivers/helpers/events.js';
import { classifyFileLine } from './file-line.js';

const CID = 'a'.repeat(64);
const dockerExec = JSON.stringify({ Type: 'container', Action: 'exec_start: bash', Actor: { ID: CID, Attributes: { image: 'nginx:1.25', name: 'web' } }, time: 1700000000 });

describe('classifyFileLine (audit-trail ingest --container-events)', () => {
  it('stamps the node the file came from (--node) on its container events, which Docker does not name, and not on its audit lines', () => {
    const exec = classifyFileLine(dockerExec, 'events.ndjson', 'worker-3');
    expect(exec).toMatchObject({ source: 'events.ndjson', meta: { swarm_node: 'worker-3' } });
    expect(parseAuditEvent(exec!.line)).toMatchObject({ ok: true, event: { event_type: 'CONTAINER_EXEC', producer: { service: 'docker-events', instance: 'worker-3' } } });
    const audit = makeLine(1);
    expect(classifyFileLine(audit, 'events.ndjson', 'worker-3')).toEqual({ line: audit, source: 'events.ndjson' });
    // Without a node, as before: no node of its own.
    expect(classifyFileLine(dockerExec, 'events.ndjson')?.meta).toEqual({});
  });

  it('stamps no node on Kubernetes audit events: the API server names pods on every node, not on the one its log was collected on', () => {
    const execVia = (requestURI: string, objectRef: object) =>
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: 'b1b2c3d4-0000-4000-8000-000000000009',
        stage: 'ResponseStarted',
        requestURI,
        verb: 'create',
        user: { username: 'mallory' },
        sourceIPs: ['10.0.0.9'],
        objectRef,
        responseStatus: { metadata: {}, code: 101 },
        requestReceivedTimestamp: '2026-12-06T10:00:00.000001Z',
      });
    const viaPod = classifyFileLine(
      execVia('/api/v1/namespaces/shop/pods/web-7d9f/exec?command=sh&container=web&stdin=true&tty=true', { resource: 'pods', namespace: 'shop', name: 'web-7d9f', apiVersion: 'v1', subresource: 'exec' }),
      'audit.log',
      'cp-1',
    );
    expect(viaPod?.meta).toEqual({});
    // Through the kubelet the event names the node the pod runs on; the control plane's must not stand in for it.
    const viaNode = classifyFileLine(
      execVia('/api/v1/nodes/node-7/proxy/exec/shop/web-7d9f/web?command=sh&input=1&tty=1', { resource: 'nodes', name: 'node-7', apiVersion: 'v1', subresource: 'proxy' }),
      'audit.log',
      'cp-1',
    );
    expect(viaNode?.meta).toEqual({});
    expect(parseAuditEvent(viaNode!.line)).toMatchObject({ ok: true, event: { event_type: 'CONTAINER_EXEC', user_id: 'mallory', runtime: { k8s_node: 'node-7' } } });
  });
});
