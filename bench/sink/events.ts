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

/**
 * One path's run: rows/s, and the CPU it cost per row: this process's (all
 * its threads and the kernel's work for them, `process.cpuUsage()`) and,
 * when a sampler is given, the database server's (PostgreSQL's processes on
 * this machine). On a 2-core machine the sum says whether a path is bound by
 * CPU rather than by waiting.
 */
export interface PathResult {
  rate: number;
  /** This process's CPU, µs per row. */
  cpu: number;
  /** The database server's CPU, µs per row, when it was sampled. */
  server?: number;
}

/** Runs `fn` (which inserts `rows` rows) once and measures it as a {@link PathResult}; `serverMs` samples the server's CPU time in ms. */
export async function measurePath(rows: number, fn: () => Promise<void> | void, serverMs?: () => number | undefined): Promise<PathResult> {
  const s0 = serverMs?.();
  const c0 = process.cpuUsage();
  const ms = await time(fn);
  const c = process.cpuUsage(c0);
  const s1 = serverMs?.();
  const out: PathResult = { rate: rate(rows, ms), cpu: (c.user + c.system) / rows };
  if (s0 !== undefined && s1 !== undefined) out.server = ((s1 - s0) * 1000) / rows;
  return out;
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
 * The sink's batched path (validation, spool fsync, commit) for `lines`, fed
 * like a receiver, as a {@link PathResult} (the sink is closed after the
 * clock stops, so a server sampler still sees its connections); fails loudly
 * if any line was not committed.
 */
export async function measureSink(options: SinkOptions, lines: string[], serverMs?: () => number | undefined): Promise<PathResult> {
  const sink = createSink(options);
  await sink.ready;
  // The main thread's garbage collections during the run (scavenges are what
  // rows held until commit cost: src/rows/row-chunk.ts) and how busy its
  // event loop was, printed per round.
  const gc = watchGc();
  const elu0 = performance.eventLoopUtilization();
  const result = await measurePath(
    lines.length,
    async () => {
      await feed((items) => sink.write(items), lines);
      await sink.flush();
    },
    serverMs,
  );
  const elu = performance.eventLoopUtilization(elu0);
  // GC entries are delivered asynchronously: let the last ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 20));
  gc.stop();
  if (sink.stats().committed !== lines.length) throw new Error(`sink committed ${sink.stats().committed}`);
  await sink.close();
  console.log(`  sink round: ${result.rate} rows/s; main thread: event loop ${Math.round(elu.utilization * 100)}% busy, GC ${formatGc(gc.totals)}`);
  return result;
}
