import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvents } from '../test/helpers/events.js';
import { tempDir } from '../test/helpers/tmp.js';
import sinkTransport from './transport.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-transport-')));
afterEach(() => cleanup());

describe('pino transport', () => {
  it('writes audit lines logged through pino into the sink, exactly as pino wrote them', async () => {
    const file = join(dir, 'audit.db');
    const stream = await sinkTransport({ url: `sqlite:${file}`, chunk: 7 });
    const logger = pino({ base: { pid: 1, hostname: 'h' } }, stream);
    const events = makeEvents(40);
    for (const e of events) logger.info(e);
    logger.info('not an audit event');
    stream.end();
    await once(stream, 'close');
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT event_id, event_json FROM security_audit_events').all() as { event_id: string; event_json: string }[];
    const rejects = db.prepare('SELECT source, reason FROM security_audit_rejects').all() as { source: string; reason: string }[];
    db.close();
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    const stored = JSON.parse(rows[0]!.event_json);
    expect(stored).toMatchObject({ level: 30, pid: 1, hostname: 'h' });
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.source).toBe('pino');
  });
});
