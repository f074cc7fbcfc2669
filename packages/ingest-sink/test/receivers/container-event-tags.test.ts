import { FluentClient } from '@fluent-org/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { deniedExecEvent, execEvent, line as auditLine, otherEvents, POD } from './helpers/k8s-audit-events.js';
import { aggregatorOnSqlite, readEvents, readRejects, type AggregatorOnSqlite } from './helpers/real-sink.js';

// Any container's stdout reaches the receiver; a line shaped like a Docker
// event would otherwise be stored as a CONTAINER_* event about any container.
const CID = 'c0ffee' + '0'.repeat(58);
const dockerLine = (action: string, time: number) => JSON.stringify({ Type: 'container', Action: action, Actor: { ID: CID, Attributes: { name: 'db' } }, time });

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** Sends one record with `log` under `tag` through a real @fluent-org/logger client, with ack. */
async function sendLog(port: number, tag: string, log: string) {
  const client = new FluentClient(tag, { ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port, disableReconnect: true } });
  await client.connect();
  await client.emit({ container_id: 'f'.repeat(64), container_name: '/sender', source: 'stdout', log });
  await client.disconnect();
}

describe('containerEventTags: Docker events only from the collector tag (real sockets, real SQLite sink)', () => {
  let run: AggregatorOnSqlite;
  beforeAll(async () => {
    run = await aggregatorOnSqlite({ forward: { host: '127.0.0.1', port: 0 }, syslog: { port: 0 }, containerEventTags: ['docker.events'] });
  });
  afterAll(() => run.stop());

  it('stores the collector tag\'s event, and the same shape from an application container as a reject naming its tag', async () => {
    const { agg, sink, file } = run;
    await sendLog(agg.forward.port, 'docker.events', dockerLine('start', 1_700_000_000));
    await sendLog(agg.forward.port, 'swarm.audit.n1.web.t1', dockerLine('exec_start: /bin/sh', 1_700_000_001));
    await sink.flush();
    expect(readEvents(file).map((r) => [r.event_type, r.source_tag])).toEqual([['CONTAINER_START', 'docker.events']]);
    const rejects = readRejects(file);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toBe('CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from docker-events arrived with tag "swarm.audit.n1.web.t1", which containerEventTags does not list');
    expect(rejects[0]!.raw_payload).toBe(dockerLine('exec_start: /bin/sh', 1_700_000_001)); // the line as the container printed it
    expect(agg.counters.forward).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('applies to syslog by APP-NAME', async () => {
    const { agg, sink, file } = run;
    const c = await RawClient.open(agg.syslog!.port);
    c.socket.end(`<14>1 2024-01-01T00:00:00Z host webapp - - - ${dockerLine('kill', 1_700_000_002)}\n`);
    await until(() => agg.counters.syslog.rejected === 1, 'the syslog reject');
    await sink.flush();
    expect(readRejects(file).at(-1)!.reason).toMatch(/^CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_STOP from docker-events arrived with tag "webapp"/);
  });
});

/** Sends records under `tag` through a real @fluent-org/logger client, with ack, as Fluent Bit's tail input does (`log`, no parser). */
async function sendTailed(port: number, tag: string, lines: string[]) {
  const client = new FluentClient(tag, { ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port, disableReconnect: true } });
  await client.connect();
  for (const log of lines) await client.emit({ log });
  await client.disconnect();
}

describe('containerEventTags: Kubernetes API server audit events only from the audit log\'s tag (real sockets, real SQLite sink)', () => {
  // examples/deploy/kubernetes/fluent-bit.yaml tails the API server's audit log as k8s.audit.
  const AUDIT_TAG = 'k8s.audit';
  const APP_TAG = 'kube.var.log.containers.web-7d4b9_shop_app-0123456789abcdef.log';
  let run: AggregatorOnSqlite;
  beforeAll(async () => {
    run = await aggregatorOnSqlite({ forward: { host: '127.0.0.1', port: 0 }, containerEventTags: [AUDIT_TAG, 'kube.var.log.containers.*_falco_falco-*.log'] });
  });
  afterAll(() => run.stop());

  it('stores one CONTAINER_EXEC naming the user for the stages of an exec from the audit log\'s tag, skips the other requests, and keeps the same line from an application\'s tag as a reject', async () => {
    const { agg, sink, file } = run;
    const stages = [execEvent('RequestReceived'), execEvent('ResponseStarted'), execEvent('ResponseComplete')].map(auditLine);
    await sendTailed(agg.forward.port, AUDIT_TAG, [...stages, ...otherEvents().map(auditLine), auditLine(deniedExecEvent('ResponseComplete'))]);
    // An application printing the audit event it saw somewhere: not the API server.
    await sendTailed(agg.forward.port, APP_TAG, [stages[1]!]);
    await sink.flush();
    const events = readEvents(file);
    expect(events.map((r) => [r.event_type, r.source_tag, r.k8s_namespace, r.k8s_pod, r.container_id])).toEqual([
      ['CONTAINER_EXEC', AUDIT_TAG, 'shop', POD.name, null],
      ['CONTAINER_EXEC', AUDIT_TAG, 'shop', POD.name, null],
    ]);
    expect(events.map((r) => JSON.parse(r.event_json)).map((e) => [e.user_id, e.outcome, e.process.command_line])).toEqual([
      ['alice@example.com', 'success', '/bin/sh'],
      ['mallory@example.com', 'failure', 'bash -il'],
    ]);
    const rejects = readRejects(file);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toBe(`CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from kube-apiserver arrived with tag "${APP_TAG}", which containerEventTags does not list`);
    expect(rejects[0]!.raw_payload).toBe(stages[1]);
    // RequestReceived and the five other requests: counted and skipped.
    expect(agg.counters.forward).toMatchObject({ nonAudit: 6, containerEvents: 3, accepted: 3, rejected: 1 });
  });
});
