// CPU us/event of each step of the sink's write path, measured one step at a
// time on one thread (process.cpuUsage, so a busy machine inflates wall time
// but hardly the CPU figure): spool entry, schema validation, row building,
// spool framing, in-batch dedupe, and what the SQLite worker hand-off costs
// on each side (v8.serialize / v8.deserialize are the structured clone of
// postMessage): the rows as arrays, as JSON, and packed (packed-rows.js, what
// the sink sends). The receiving side runs on the writer thread, the sink's
// bottleneck.
//   npx tsx -C @audit-trail/source bench/sink-stages-cpu.ts [events=50000]
import { parseAuditEvent } from '@audit-trail/schema';
import { toSpoolEntry, prepareRows } from '../packages/ingest-sink/src/sink/prepare.js';
import { encodeFrames } from '../packages/ingest-sink/src/spool/record.js';
import { dedupeBatch } from '../packages/ingest-sink/src/sink/dedupe-batch.js';
import { forEachRow } from '../packages/ingest-sink/src/rows/packed-rows.js';
import { packEventRows } from '../packages/ingest-sink/src/rows/row-chunk.js';
import v8 from 'node:v8';
import { benchEvents } from './sink/events.js';
const n = Number(process.argv[2] ?? 50000);
const { lines } = benchEvents(n);
const items = lines.map((line) => ({ line, meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1', swarm_service: 'api', swarm_task_id: 't1', container_id: 'ab'.repeat(32), container_name: 'api.1.x' }, source: 'forward:127.0.0.1:5555' }));
function cpu<T>(name: string, f: () => T): T {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const r = f();
  const c = process.cpuUsage(c0); const w = performance.now() - t0;
  console.log(name.padEnd(40), ((c.user + c.system) / n).toFixed(2), 'us cpu/ev', (w * 1000 / n).toFixed(2), 'us wall/ev');
  return r;
}
for (let rep = 0; rep < 2; rep++) {
  const entries = cpu('toSpoolEntry', () => items.map((i) => toSpoolEntry(i, 'direct')));
  cpu('parseAuditEvent', () => entries.map((e) => parseAuditEvent(e.line)));
  // What write() does per call (500 events here): validate, project, pack into a row chunk.
  const rows = cpu('prepareRows per 500 (parse+toRow+pack)', () => { const out = []; for (let i = 0; i < entries.length; i += 500) out.push(...prepareRows(entries.slice(i, i + 500), 'direct')); return out; });
  cpu('encodeFrames (per 500)', () => { for (let i = 0; i < entries.length; i += 500) encodeFrames(entries.slice(i, i + 500)); });
  const batches = cpu('dedupeBatch (per 1000)', () => { const out = []; for (let i = 0; i < rows.length; i += 1000) out.push(dedupeBatch(rows.slice(i, i + 1000))); return out; });
  // The alternatives to the packed hop: the rows as arrays of values, cloned or as JSON.
  const arrays = cpu('rows as value arrays', () => batches.map((b) => b.rounds.flat().map((e) => e.values)));
  const cloned = cpu('send: v8.serialize rows (arrays)', () => arrays.map((b) => v8.serialize(b)));
  cpu('receive: v8.deserialize rows (arrays)', () => cloned.map((b) => v8.deserialize(b)));
  const js = cpu('send: JSON.stringify rows', () => arrays.map((b) => JSON.stringify(b)));
  cpu('receive: JSON.parse rows', () => js.map((x) => JSON.parse(x)));
  // What the sink sends: chunk ranges copied into one packed batch (toCoreBatch), then cloned.
  const packed = cpu('send: packEventRows + v8.serialize', () => batches.map((b) => v8.serialize({ events: packEventRows(b.rounds.flat()), sources: b.rounds.flat().map((e) => e.source), rejects: [] })));
  cpu('receive: v8.deserialize + forEachRow', () => {
    let cells = 0;
    for (const b of packed) forEachRow(v8.deserialize(b).events, (values) => (cells += values.length));
    return cells;
  });
}
