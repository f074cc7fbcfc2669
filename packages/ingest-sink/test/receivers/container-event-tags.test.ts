import { FluentClient } from '@fluent-org/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
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
