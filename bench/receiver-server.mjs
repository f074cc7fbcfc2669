/**
 * Child process of bench/receiver.ts, in plain JavaScript so it runs under
 * plain `node` against the BUILT packages (dist/, what `audit-trail serve`
 * runs; `npm ci` builds them): no TypeScript loader in the measured process.
 * Runs either our aggregator (sink into the given database URL) or
 * @fluent-org/logger's FluentServer (the baseline, which acks on receipt and
 * stores nothing). Prints {"port"} once listening, then {"committed"} lines
 * while the sink commits. SIGTERM stops it.
 * BENCH_DEBUG=1 prints memory (anon/file RSS, V8 new/old space used of size,
 * array buffers) and the sink backlog to stderr every 500 ms (every
 * BENCH_DEBUG_EVERY x 50 ms when set); with BENCH_GC=1
 * and BENCH_RECEIVER_NODE_OPTIONS=--expose-gc it collects garbage first, so
 * the heap figure is the live set. BENCH_INFLIGHT overrides
 * limits.maxInflightRequests; BENCH_SINK_OPTS (JSON) adds createSink options;
 * AUDIT_TRAIL_HEAP_GROWING_PERCENT is read as `audit-trail serve` reads it.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { FluentServer } from '@fluent-org/logger';
import { applyHeapGrowingPercent, createSink, parseHeapGrowingPercent, startAggregator } from '@audit-trail/ingest-sink';
import { watchGc } from './gc-totals.mjs';

const [mode, url, spool] = process.argv.slice(2);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
/** Main-thread GC of this process, reported with every progress line. */
const gc = watchGc().totals;

if (mode === 'fluentserver') {
  const server = new FluentServer({ listenOptions: { port: 0, host: '127.0.0.1' } });
  let events = 0;
  server.on('entry', () => events++);
  await server.listen();
  print({ port: server.port });
  setInterval(() => print({ committed: events, gc }), 50).unref();
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  // The heap setting `audit-trail serve` applies (AUDIT_TRAIL_HEAP_GROWING_PERCENT as there; 0 = V8's own).
  applyHeapGrowingPercent(parseHeapGrowingPercent(process.env.AUDIT_TRAIL_HEAP_GROWING_PERCENT));
  const extraOpts = JSON.parse(process.env.BENCH_SINK_OPTS ?? '{}');
  const sink = createSink({ url, migrate: true, ...extraOpts, ...(spool ? { spool: { ...extraOpts.spool, dir: spool } } : {}) });
  await sink.ready;
  const inflight = process.env.BENCH_INFLIGHT ? Number(process.env.BENCH_INFLIGHT) : undefined;
  const agg = await startAggregator({
    sink,
    forward: { host: '127.0.0.1', port: 0, ...(inflight ? { limits: { maxInflightRequests: inflight } } : {}) },
  });
  print({ port: agg.forward.port });
  let ticks = 0;
  const timer = setInterval(() => {
    print({ committed: sink.stats().committed + sink.stats().duplicates, gc });
    if (process.env.BENCH_DEBUG && ++ticks % Number(process.env.BENCH_DEBUG_EVERY ?? 10) === 0) {
      if (globalThis.gc && process.env.BENCH_GC) globalThis.gc();
      const m = process.memoryUsage();
      const st = sink.stats();
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
      process.stderr.write(`anon=${kb('RssAnon').toFixed(0)} file=${kb('RssFile').toFixed(0)} `);
      process.stderr.write(`rss=${(m.rss / 1e6).toFixed(0)} heap=${(m.heapUsed / 1e6).toFixed(0)} ext=${(m.external / 1e6).toFixed(0)} ab=${(m.arrayBuffers / 1e6).toFixed(0)} spooled=${st.spooledEvents} committed=${st.committed} ${v8.getHeapSpaceStatistics().filter((x) => x.space_name === 'new_space' || x.space_name === 'old_space').map((x) => `${x.space_name.replace('_space', '')}=${(x.space_used_size / 1e6).toFixed(0)}/${(x.space_size / 1e6).toFixed(0)}`).join(' ')}\n`);
    }
  }, 50);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void agg.close().then(() => sink.close()).then(() => process.exit(0));
  });
}
