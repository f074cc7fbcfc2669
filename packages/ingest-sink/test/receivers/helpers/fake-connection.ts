import { decodeMulti } from '@msgpack/msgpack';
import { newCounters } from '../../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../../src/receivers/defaults.js';
import { ForwardConnection, type ConnectionTransport } from '../../../src/receivers/forward/connection.js';
import type { ForwardSecurity } from '../../../src/receivers/forward/handshake.js';
import { DEFAULT_FORWARD_LIMITS, type ForwardLimits } from '../../../src/receivers/forward/options.js';
import type { EventSink, ReceiverLogEntry } from '../../../src/receivers/types.js';
import { MEMORY_ONLY, type PartialDurability } from '../../../src/normalize/partial-journal.js';
import { RecordNormalizer } from '../../../src/normalize/record.js';

/** Records what a connection writes, so tests can read acks and PONGs. */
export class FakeTransport implements ConnectionTransport {
  out: Buffer[] = [];
  ended = false;
  paused = false;
  write(bytes: Uint8Array): boolean {
    this.out.push(Buffer.from(bytes));
    return true;
  }
  end(): void {
    this.ended = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** Everything written, decoded as msgpack values. */
  messages(): unknown[] {
    return [...decodeMulti(Buffer.concat(this.out))];
  }
}

/** A connection wired to `sink` with a fake transport, plus its counters and log. */
export function fakeConnection(sink: EventSink, opts: { limits?: Partial<ForwardLimits>; security?: ForwardSecurity; tagTemplate?: string; budget?: { used: number }; partials?: PartialDurability; normalizer?: RecordNormalizer } = {}) {
  const counters = newCounters();
  const logs: ReceiverLogEntry[] = [];
  const normalizer = opts.normalizer ?? new RecordNormalizer(
    { tagTemplate: opts.tagTemplate ?? DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 1 << 20, maxOpen: 100, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 } },
    counters,
  );
  const transport = new FakeTransport();
  const conn = new ForwardConnection(transport, {
    sink,
    counters,
    normalizer,
    partials: opts.partials ?? MEMORY_ONLY,
    log: (e) => logs.push(e),
    limits: { ...DEFAULT_FORWARD_LIMITS, ...opts.limits },
    keepalive: true,
    peer: 'test:1',
    address: 'test',
    ...(opts.security ? { security: opts.security } : {}),
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  conn.start();
  return { conn, transport, counters, logs, normalizer };
}
