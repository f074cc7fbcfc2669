// Child of bench/spool-replay-memory.ts: opens the spool reading every record's bytes (no
// loadBytes), as replay did before; loads the sink and its PostgreSQL driver as open-sink.ts
// does, so that the two differ only in what replay holds.
import '@audit-trail/ingest-sink';
import 'pg';
import { Spool } from '../../packages/ingest-sink/src/spool/spool.js';

const [dir] = process.argv.slice(2);
const { replayed } = await Spool.open({ dir: dir! });
console.log(`${replayed.length} replayed`);
process.exit(0);
