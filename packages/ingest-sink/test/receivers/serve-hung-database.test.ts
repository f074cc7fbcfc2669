import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FluentClient } from '@fluent-org/logger';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/spool/spool.js';
import { makeEvents } from '../helpers/events.js';
import { createTempDatabase } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir } from './helpers/real-sink.js';
import { killAllServe, spawnServe } from './helpers/serve-process.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(killAllServe);

describe('audit-trail serve while PostgreSQL hangs (accepts, never answers: a TCP proxy the test owns)', () => {
  it('exits on SIGTERM within its close bound, not when the driver gives up on the hung query, and keeps the undelivered events in the spool', async () => {
    const db = await createTempDatabase();
    closers.push(() => db.drop());
    const proxy: TcpProxy = await startTcpProxy(5432);
    closers.push(() => proxy.close());
    const tmp = tempDir('at-hung-');
    closers.push(() => tmp.remove());
    const url = db.url.replace(':5432/', `:${proxy.port}/`);
    // In its own directory: a server database's spool is .audit-trail-spool/<hash> in the working directory.
    const server = await spawnServe(['--db', url, '--forward', '127.0.0.1:0', '--health', 'off'], {}, tmp.dir);
    const client = new FluentClient('audit', { socket: { host: '127.0.0.1', port: server.started.forward.port, timeout: 5000 }, ack: {} });
    closers.push(() => client.disconnect());
    await client.emit('audit', makeEvents(1)[0]!);
    proxy.hang();
    for (const e of makeEvents(5)) await client.emit('audit', e);
    // Long enough for a batch to be sent into the hang.
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // The sink's close bound is 10 s (+1 s for the driver); pg's query timeout alone is 60 s.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(server.lines.map((l) => l.msg)).toContain('shutdown complete');
    const [dir] = readdirSync(join(tmp.dir, '.audit-trail-spool'));
    const reopened = await Spool.open({ dir: join(tmp.dir, '.audit-trail-spool', dir!) });
    expect(reopened.replayed.length).toBeGreaterThanOrEqual(5);
    await reopened.spool.close(false);
  }, 60_000);
});
