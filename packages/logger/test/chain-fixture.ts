import { join } from 'node:path';
import { createAuditLogger, type SigningOptions } from '../src/index.js';
import { authFailure, fakeClock, lines, SECRET, tmpDir } from './helpers.js';

/**
 * Writes one closed, signed chain with a fake clock (1 s between records) and
 * returns its lines: OPEN, `events` auth failures, optionally a checkpoint
 * after `checkpointAfter` events, CLOSE.
 */
export async function signedChain(opts: {
  events?: number;
  signing?: Partial<SigningOptions>;
  checkpointAfter?: number;
  start?: number;
  instance?: string;
}): Promise<string[]> {
  const file = join(tmpDir(), 'audit.ndjson');
  const clock = fakeClock(opts.start);
  // Sealed mode has no secret: the logger refuses an option its mode does not have.
  const defaults = opts.signing?.mode === 'sealed' ? { kid: 'k1' } : { mode: 'shared', kid: 'k1', secret: SECRET };
  const signing = { ...defaults, ...opts.signing } as SigningOptions;
  const log = createAuditLogger({ service: 'api', instance: opts.instance ?? 'api-1', destination: file, signing, now: clock.now, runtime: false });
  for (let i = 1; i <= (opts.events ?? 6); i++) {
    clock.advance(1000);
    log.webauthnAuthFailure(authFailure(`user-${i}`));
    if (opts.checkpointAfter === i) log.checkpoint();
  }
  clock.advance(1000);
  await log.close();
  return lines(file);
}
