import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/index.js';
import { authFailure, codes, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET };

describe('destinations', () => {
  it('async (sync: false) file writes are all on disk, in order, after flush() and close()', async () => {
    const file = join(tmpDir(), 'async.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync: false, signing });
    // flush() while async writes are in flight must not reorder lines
    // (sonic-boom's flushSync during an in-flight write would).
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) log.webauthnAuthFailure(authFailure());
      await log.flush();
    }
    await log.close();
    const ls = lines(file);
    expect(ls).toHaveLength(502);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('a pino.transport() (worker thread) works as destination and is ended by close() with closeDestination', async () => {
    const file = join(tmpDir(), 'transport.ndjson');
    const transport = pino.transport({ target: 'pino/file', options: { destination: file } });
    const log = createAuditLogger({ service: 'api', runtime: false, destination: transport, closeDestination: true, signing });
    for (let i = 0; i < 20; i++) log.webauthnAuthFailure(authFailure());
    await log.close();
    const ls = lines(file);
    expect(ls.map((l) => JSON.parse(l).event_type).at(-1)).toBe('AUDIT_CHAIN_CLOSE');
    expect(ls).toHaveLength(22);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('a pino.destination() you built is flushed but left open unless closeDestination is set', async () => {
    const file = join(tmpDir(), 'dest.ndjson');
    const dest = pino.destination({ dest: file, sync: true });
    const log = createAuditLogger({ service: 'api', runtime: false, destination: dest });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    await log.close();
    dest.write('{"after":"close"}\n');
    dest.flushSync();
    expect(lines(file)).toHaveLength(2);
    dest.end();
  });
});
