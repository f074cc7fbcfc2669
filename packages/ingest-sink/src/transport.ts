import build from 'pino-abstract-transport';
import { createSink } from './sink/create-sink.js';
import type { Sink, SinkOptions } from './sink/types.js';

/** Options of the pino transport: the sink's options plus how lines are grouped. */
export interface SinkTransportOptions extends SinkOptions {
  /** Lines per `sink.write()` (default 500). */
  chunk?: number;
  /** A partial chunk is written after this many ms (default 20). */
  lingerMs?: number;
  /** `source` of rejects (default 'pino'). */
  source?: string;
}

/**
 * pino transport writing each log line straight into a sink:
 * `pino({ transport: { target: '@audit-trail/ingest-sink/transport', options: { url: 'postgres://...' } } })`.
 * Lines are kept exactly as pino wrote them (they become `event_json`), so
 * pino's `level`/`time`/`pid`/`hostname` are split off by the schema parser,
 * not re-serialised. Lines that are not audit events go to the rejects table
 * with their reason: point only the audit logger here. On close the sink
 * delivers what it can and keeps the rest in its spool for the next start.
 */
export default async function sinkTransport(opts: SinkTransportOptions = {}): Promise<ReturnType<typeof build>> {
  const { chunk = 500, lingerMs = 20, source = 'pino', ...sinkOptions } = opts;
  const sink: Sink = createSink({ defaultSource: source, ...sinkOptions });
  await sink.ready;
  const pending = new Set<Promise<unknown>>();
  let buffer: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let failure: Error | undefined;

  const send = () => {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const items = buffer;
    buffer = [];
    const p = sink.write(items).catch((err: Error) => {
      // pino treats a transport error as fatal; remember it and surface it on close.
      failure ??= err;
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  return build(
    async (source: AsyncIterable<string>) => {
      for await (const line of source) {
        if (line.trim() === '') continue;
        buffer.push(line);
        if (buffer.length >= chunk) send();
        else timer ??= setTimeout(send, lingerMs);
        // Backpressure: a few writes in flight share the spool's group commits.
        if (pending.size >= 8) await Promise.race(pending);
      }
    },
    {
      parse: 'lines',
      async close() {
        send();
        await Promise.all(pending);
        await sink.close();
        if (failure) throw failure;
      },
    },
  );
}
