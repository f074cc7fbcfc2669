import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FluentClient } from '@fluent-org/logger';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSink, type Sink } from '../../src/index.js';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import { makeEvent } from './helpers/events.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { tempDir } from './helpers/real-sink.js';

// Needs the PostgreSQL on 127.0.0.1:5432 (trust auth): fails, never skips, when it is down.
describe('forward receiver into the real PostgreSQL sink', () => {
  const name = `at_recv_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  let tmp: ReturnType<typeof tempDir>;
  let sink: Sink;
  let agg: Aggregator;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    tmp = tempDir();
    sink = createSink({ url: `postgres://postgres@127.0.0.1:5432/${name}`, migrate: true, spool: { dir: join(tmp.dir, 'spool') } });
    await sink.ready;
    agg = await startAggregator({ sink, forward: { port: 0 } });
  });
  afterAll(async () => {
    await agg?.close();
    await sink?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    tmp?.remove();
  });

  it('commits events from a FluentClient (PackedForward, ack) and a Docker-driver frame, with transport columns', async () => {
    const client = new FluentClient('swarm.audit.node-2.api.task9', {
      ack: { ackTimeout: 20_000 },
      socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true },
    });
    await client.connect();
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(i));
    await Promise.all(events.map((e) => client.emit(e as unknown as Record<string, unknown>)));
    await client.disconnect();
    const docker = makeEvent(99);
    const raw = await RawClient.open(agg.forward.port);
    raw.socket.write(dockerMessage('abcdef012345', 1700000000, dockerRecord(JSON.stringify(docker)), 'pg-chunk'));
    await raw.waitFor(13);
    raw.socket.end();
    await sink.flush();
    const db = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: name });
    await db.connect();
    try {
      const { rows } = await db.query<{ event_id: string; swarm_node: string | null; container_name: string | null }>('SELECT event_id, swarm_node, container_name FROM security_audit_events');
      const byId = new Map(rows.map((r) => [r.event_id, r]));
      for (const e of events) expect(byId.get(e.event_id)?.swarm_node).toBe('node-2');
      expect(byId.get(docker.event_id)?.container_name).toBe('svc.1.abcdef');
      expect(rows).toHaveLength(31);
    } finally {
      await db.end();
    }
  });
});
