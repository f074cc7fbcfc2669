import { LOG_TYPE } from '@audit-trail/schema';
import type { ForwardedReject } from '../fallback/forwarder.js';
import type { ReceiverCounters } from '../receivers/counters.js';
import { classifyLine, classifyObject, type Normalized } from './classify-line.js';
import { PartialAssembler, type AssembledLine, type PartialLimits } from './partials.js';
import type { TagFilter } from './tag-patterns.js';
import { compileTagTemplate, type TagParser } from './tag-template.js';
import { recordMeta, type RecordMeta } from './transport-meta.js';

/** Settings of {@link RecordNormalizer}. */
export interface NormalizerOptions {
  /** Docker tag template parsed into Swarm columns. */
  tagTemplate: string;
  partials: PartialLimits;
  /** Tags Docker events and Falco alerts may arrive with (tag-patterns.ts); any tag when undefined. */
  containerEventTags?: TagFilter;
}

// Keys the Docker driver, Fluentd or Fluent Bit put next to an event that an
// agent already parsed to top level; the event schema is strict, so they are
// moved out of the event (they are transport metadata, not signed content).
const TRANSPORT_KEYS = new Set([
  'container_id', 'container_name', 'source', 'log', 'stream', 'kubernetes', 'docker',
  'partial_message', 'partial_id', 'partial_ordinal', 'partial_last', '_p', 'tag',
]);

/**
 * Turns forward-protocol records into sink items. Understands Docker fluentd
 * log-driver records (application line in `log`, `partial_*` pieces
 * reassembled), records an agent already parsed (event fields at top level),
 * Fluent Bit records with kubernetes metadata, Docker events and Falco alerts
 * (as CONTAINER_* events). Non-audit records are counted and skipped.
 */
export class RecordNormalizer {
  private readonly parseTag: TagParser;
  private readonly containerEventTags?: TagFilter;
  readonly partials: PartialAssembler;

  constructor(
    options: NormalizerOptions,
    private readonly counters: ReceiverCounters,
  ) {
    this.parseTag = compileTagTemplate(options.tagTemplate);
    this.containerEventTags = options.containerEventTags;
    this.partials = new PartialAssembler(options.partials);
  }

  /** Normalises one record of a request; `signal` is the v1.5 fluent_signal (0 logs). Pushes results to `out`. */
  normalize(tag: string, record: unknown, signal: number, source: string, out: Normalized[]): void {
    if (signal !== 0) return void out.push({ kind: 'not_logs' });
    if (typeof record !== 'object' || record === null || Array.isArray(record) || record instanceof Uint8Array) {
      // Not a map: kept as evidence; the sink records it as a reject with its reason.
      return void out.push({ kind: 'sink', item: { line: safeJson(record), meta: { source_tag: tag.slice(0, 256) }, source } });
    }
    const r = record as Record<string, unknown>;
    const meta = recordMeta(tag, r, this.parseTag);
    if (r.partial_message === 'true' || r.partial_message === true) {
      const key = `${String(r.container_id)}/${String(r.partial_id)}`;
      const ordinal = Number(r.partial_ordinal);
      const last = r.partial_last === 'true' || r.partial_last === true;
      this.counters.partialsBuffered++;
      out.push({ kind: 'partial' });
      const text = typeof r.log === 'string' ? r.log : '';
      for (const done of this.partials.add(key, Number.isInteger(ordinal) ? ordinal : 1, last, text)) {
        this.released(done, meta, source, out);
      }
      return;
    }
    if (typeof r.log_type === 'string') {
      if (r.log_type !== LOG_TYPE) return void out.push({ kind: 'non_audit' });
      const event: Record<string, unknown> = {};
      for (const k of Object.keys(r)) if (!TRANSPORT_KEYS.has(k)) event[k] = r[k];
      return void out.push({ kind: 'sink', item: { line: safeJson(event), meta, source } });
    }
    const text = typeof r.log === 'string' ? r.log : typeof r.message === 'string' ? r.message : undefined;
    if (text !== undefined) return void out.push(classifyLine(text, meta, source, this.containerEventTags));
    const relayed = relayedReject(r);
    if (relayed) {
      // Kept as the reject it was (its reason as given), the relay named in its source.
      return void out.push({ kind: 'sink', item: { line: relayed.raw_payload, meta, source: `${source} relaying ${relayed.source ?? '-'}`, reject: relayed.reason || 'RELAYED_REJECT' } });
    }
    out.push(classifyObject(r, safeJson(r), meta, source, this.containerEventTags));
  }

  /** Lines released by the assembler outside a request (expiry): classified like any other line. */
  expire(now: number, source: string): Normalized[] {
    const out: Normalized[] = [];
    for (const done of this.partials.expire(now)) this.released(done, {}, source, out);
    return out;
  }

  private released(done: AssembledLine, meta: RecordMeta, source: string, out: Normalized[]): void {
    if (done.complete) this.counters.partialsReassembled++;
    else this.counters.partialsExpired++;
    out.push(classifyLine(done.line, meta, source, this.containerEventTags));
  }
}

/** JSON text of a decoded msgpack value; bytes become base64, EventTime its fields, so nothing throws. */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (typeof v === 'bigint') return v.toString();
      return v;
    }) ?? 'null';
  } catch {
    return '"(unserialisable record)"';
  }
}

/**
 * A reject as another sink's Fluent forward fallback sends it
 * ({@link ForwardedReject} and nothing else; `source` may be absent), or
 * undefined. Without this, a sink whose fallback points at an
 * audit-trail aggregator would have its rejects counted as non-audit
 * records and dropped there.
 */
function relayedReject(r: Record<string, unknown>): (Omit<ForwardedReject, 'source'> & { source?: string }) | undefined {
  if (typeof r.raw_payload !== 'string' || typeof r.reason !== 'string') return undefined;
  if (r.source !== undefined && typeof r.source !== 'string') return undefined;
  for (const k of Object.keys(r)) if (k !== 'raw_payload' && k !== 'reason' && k !== 'source') return undefined;
  return r as Omit<ForwardedReject, 'source'> & { source?: string };
}
