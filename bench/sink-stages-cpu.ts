// CPU us/event of each step of the sink's write path, measured one step at a
// time on one thread (process.cpuUsage, so a busy machine inflates wall time
// but hardly the CPU figure): spool entry, schema validation, row building,
// spool framing, in-batch dedupe, and what the SQLite worker hand-off costs
// (structured clone) next to JSON as an alternative.
//   npx tsx -C @audit-trail/source bench/sink-stages-cpu.ts [events=50000]
import { parseAuditEvent } from '@audit-trail/schema';
import { toSpoolEntry, prepareRow } from '../packages/ingest-sink/src/sink/prepare.js';
import { encodeFrames } from '../packages/ingest-sink/src/spool/record.js';
import { dedupeBatch } from '../packages/ingest-sink/src/sink/dedupe-batch.js';
import { benchEvents } from './sink/events.js';
const n = Number(process.argv[2] ?? 50000);
const { lines } = benchEvents(n);
const items = lines.map((line) => ({ line, meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1', swarm_service: 'api', swarm_task_id: 't1', container_id: 'ab'.repeat(32), container_name: 'api.1.x' }, source: 'forward:127.0.0.1:5555' }));
function cpu<T>(name: string, f: () => T): T {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const r = f();
  const c = process.cpuUsage(c0); const w = performance.now() - t0;
  console.log(name.padEnd(36), ((c.user + c.system) / n).toFixed(2), 'us cpu/ev', (w * 1000 / n).toFixed(2), 'us wall/ev');
  return r;
}
for (let rep = 0; rep < 2; rep++) {
  const entries = cpu('toSpoolEntry', () => items.map((i) => toSpoolEntry(i, 'direct')));
  cpu('parseAuditEvent', () => entries.map((e) => parseAuditEvent(e.line)));
  const rows = cpu('prepareRow (parse+toRow+clamp)', () => entries.map((e) => prepareRow(e, 'direct')));
  cpu('encodeFrames (per 500)', () => { for (let i = 0; i < entries.length; i += 500) encodeFrames(entries.slice(i, i + 500)); });
  const batches = cpu('dedupeBatch (per 5000)', () => { const out = []; for (let i = 0; i < rows.length; i += 5000) out.push(dedupeBatch(rows.slice(i, i + 5000))); return out; });
  const core = cpu('toCoreBatch', () => batches.map((b) => ({ events: b.rounds.flat().map((e) => e.values), sources: b.rounds.flat().map((e) => e.source), rejects: [] })));
  cpu('structuredClone core batches', () => core.map((b) => structuredClone(b)));
  cpu('JSON.stringify rows values', () => core.map((b) => JSON.stringify(b.events)));
  const js = core.map((b) => JSON.stringify(b.events));
  cpu('JSON.parse rows values', () => js.map((s) => JSON.parse(s)));
  cpu('JSON.parse lines', () => lines.map((l) => JSON.parse(l)));
}
