// Child of bench/spool-replay-memory.ts: starts a sink over the spool (database down) and exits once it is ready.
import { createSink } from '@audit-trail/ingest-sink';

const [dir, url] = process.argv.slice(2);
const sink = createSink({ url: url!, migrate: false, checkIntervalMs: 0, spool: { dir: dir!, maxBytes: 64 * 1024 ** 3 }, onError: () => undefined });
await sink.ready;
console.log(`${sink.stats().replayed} replayed`);
process.exit(0);
