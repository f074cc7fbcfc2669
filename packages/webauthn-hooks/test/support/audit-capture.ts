import { randomBytes } from 'node:crypto';
import { createAuditLogger, type AuditLogger } from '@audit-trail/logger';
import { parseAuditEvent, type AuditEvent } from '@audit-trail/schema';

/** Audit lines written by a real logger into memory, and their parsed events. */
export interface AuditCapture {
  /** The real logger; it satisfies the hooks' AuditEmitter interface. */
  audit: AuditLogger;
  /** Raw lines, exactly as the logger wrote them. */
  lines: string[];
  /** Every line parsed with parseAuditEvent; throws if one is invalid. */
  events(): AuditEvent[];
  /** Events other than the chain's own records (AUDIT_CHAIN_OPEN, checkpoints, close). */
  ceremonyEvents(): AuditEvent[];
  /** Lines written since the last call of `take()` and their events (chain records excluded). */
  take(): { events: AuditEvent[]; lines: string[] };
  close(): Promise<void>;
}

/** Parses every captured line; a line the schema rejects fails the test with its issues. */
export function parseLines(lines: readonly string[]): AuditEvent[] {
  return lines.map((line) => {
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) throw new Error(`invalid audit line: ${JSON.stringify(parsed.issues)}\n${line}`);
    return parsed.event;
  });
}

const CHAIN = new Set(['AUDIT_CHAIN_OPEN', 'AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE']);

/**
 * Starts the real audit logger (`@audit-trail/logger`) writing into memory.
 * `onInvalid: 'throw'` makes a draft the schema rejects fail the test
 * instead of becoming an AUDIT_SCHEMA_VIOLATION line. With `signed`, the
 * chain is HMAC-signed (shared mode, a random test secret).
 */
export function captureAudit(options: { signed?: boolean } = {}): AuditCapture {
  const lines: string[] = [];
  const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l.length > 0)) };
  const audit = createAuditLogger({
    service: 'webauthn-hooks-test',
    destination: sink,
    onInvalid: 'throw',
    env: {},
    runtime: false,
    signing: options.signed ? { mode: 'shared', kid: 'test', secret: randomBytes(32) } : false,
  });
  let taken = 0;
  const ceremony = (events: AuditEvent[]) => events.filter((e) => !CHAIN.has(e.event_type));
  return {
    audit,
    lines,
    events: () => parseLines(lines),
    ceremonyEvents: () => ceremony(parseLines(lines)),
    take: () => {
      const fresh = lines.slice(taken);
      taken = lines.length;
      const events = parseLines(fresh);
      const keep = events.map((e) => !CHAIN.has(e.event_type));
      return { events: events.filter((_, i) => keep[i]), lines: fresh.filter((_, i) => keep[i]) };
    },
    close: async () => {
      await audit.close();
    },
  };
}
