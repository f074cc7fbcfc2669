import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createAuditLogger } from '@audit-trail/logger';
import { createSink } from '@audit-trail/ingest-sink';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

const cwd = mkdtempSync(join(tmpdir(), 'at-demo-db-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('npm run demo -- --db URL', () => {
  it('refuses a database that already holds an earlier run, before starting anything, instead of reporting its chains as forged', async () => {
    // What an earlier run left: a closed chain under the demo's kid, signed with a key this run does not have.
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const audit = createAuditLogger({
      service: 'webauthn-api',
      destination: out,
      signing: { mode: 'shared', kid: 'demo-2026-11', secret: randomBytes(32).toString('base64') },
    });
    audit.containerStart({ container: { id: 'abcdefabcdef' } });
    await audit.close();
    const url = `sqlite:${join(cwd, 'earlier.db')}`;
    const sink = createSink(url);
    await sink.write(lines);
    await sink.close();
    expect(sink.stats().committed).toBe(3);

    const r = await runDemo(cwd, ['--db', url]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('already holds audit events');
    expect(r.out).toContain('give the demo an empty database');
    // Stopped after the migration: no aggregator, no ceremonies, no verification that cries forgery.
    expect(r.out).not.toContain('[2/6]');
    expect(r.out).not.toContain('verification found problems');
  }, 120_000);
});
