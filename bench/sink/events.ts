import { completeEvent, parseAuditEvent, toRow, type AuditEventDraft, type ColumnValue } from '@audit-trail/schema';
import { formatGc, watchGc } from '../gc-totals.mjs';
import { createSink, type SinkOptions } from '@audit-trail/ingest-sink';

/** `n` realistic audit lines (UUIDv7 ids, as producers write them) and their rows. */
export function benchEvents(n: number): { lines: string[]; rows: ColumnValue[][] } {
  const lines: string[] = [];
  const rows: ColumnValue[][] = [];
  for (let i = 0; i < n; i++) {
    const draft = {
      event_type: i % 5 === 0 ? 'WEBAUTHN_AUTH_SUCCESS' : 'WEBAUTHN_AUTH_FAILURE',
      user_id: `user-${i % 5000}`,
      client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ...(i % 5 === 0
        ? { webauthn: { credential_id: 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGh', sign_count: i, user_verified: true } }
        : { error: { code: 'SIGNATURE_INVALID', message: 'assertion signature did not verify' }, webauthn: { failure_stage: 'signature', sign_count: i, rp_id: 'example.com', origin: 'https://example.com' } }),
    } as unknown as AuditEventDraft;
    const line = JSON.stringify(completeEvent(draft, { producer: { service: 'bench', instance: 'web-1' } }));
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    lines.push(line);
    rows.push(toRow(parsed.event, { raw: line, source_tag: 'swarm.audit.node1.web.task1' }));
  }
  return { lines, rows };
}

/** Rows per second. */
export const rate = (rows: number, ms: number) => Math.round((rows * 1000) / ms);

/** Times an async function. */
export async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Feeds lines to a sink the way receivers do: chunks of `chunk`, `inFlight` writes at once. */
export async function feed(write: (items: string[]) => Promise<unknown>, lines: string[], chunk = 500, inFlight = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const at = next;
      next += chunk;
      await write(lines.slice(at, at + chunk));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/**
 * Rows/s of the sink's batched path (validation, spool fsync, commit) for
 * `lines`, fed like a receiver; fails loudly if any line was not committed.
 */
export async function measureSink(options: SinkOptions, lines: string[]): Promise<number> {
  const sink = createSink(options);
  await sink.ready;
  // The main thread's garbage collections during the run (scavenges are what
  // rows held until commit cost: src/rows/row-chunk.ts), printed per round.
  const gc = watchGc();
  const ms = await time(async () => {
    await feed((items) => sink.write(items), lines);
    await sink.flush();
  });
  // GC entries are delivered asynchronously: let the last ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 20));
  gc.stop();
  if (sink.stats().committed !== lines.length) throw new Error(`sink committed ${sink.stats().committed}`);
  await sink.close();
  console.log(`  sink round: ${rate(lines.length, ms)} rows/s; main-thread GC: ${formatGc(gc.totals)}`);
  return rate(lines.length, ms);
}
