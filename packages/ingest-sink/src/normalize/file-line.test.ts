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
});
