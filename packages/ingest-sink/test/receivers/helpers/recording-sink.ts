import { parseAuditEvent } from '@audit-trail/schema';
import type { EventSink, SinkItem, SinkReceipt } from '../../../src/receivers/types.js';

/**
 * A sink for framing/decoding unit tests only: records items and counts valid
 * ones with the real schema parser. Integration tests use the real sink.
 */
export class RecordingSink implements EventSink {
  items: SinkItem[] = [];
  writes = 0;
  fail = false;
  /** When set, writes wait for this promise (to hold acks back). */
  gate?: Promise<void>;

  async write(items: SinkItem[]): Promise<SinkReceipt> {
    this.writes++;
    if (this.gate) await this.gate;
    if (this.fail) throw new Error('sink unavailable');
    this.items.push(...items);
    let accepted = 0;
    for (const i of items) if (parseAuditEvent(i.line).ok) accepted++;
    return { accepted, rejected: items.length - accepted };
  }
}
