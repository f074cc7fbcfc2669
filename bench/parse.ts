// Validation cost per event, side by side in one run: JSON.parse alone (the
// floor), JSON.parse + the duplicate-name check parseAuditEvent makes on text,
// zod's runtime parser (what parseAuditEvent used before), and
// parseAuditEvent (z.compile fast path, runtime fallback, duplicate names).
// Medians of 5 rounds.
//   npx tsx -C @audit-trail/source bench/parse.ts [events=50000]
import { duplicateName, eventSchemas, parseAuditEvent, type EventType } from '@audit-trail/schema';
import { benchEvents } from './sink/events.js';

const n = Number(process.argv[2] ?? 50_000);
const { lines } = benchEvents(n);
const paths: Record<string, () => void> = {
  'JSON.parse only': () => {
    for (const l of lines) JSON.parse(l);
  },
  'JSON.parse + duplicateName': () => {
    for (const l of lines) if (duplicateName(l, JSON.parse(l)) !== undefined) throw new Error('duplicate in bench event');
  },
  'JSON.parse + zod runtime safeParse': () => {
    for (const l of lines) {
      const o = JSON.parse(l) as { event_type: EventType };
      if (!eventSchemas[o.event_type].safeParse(o).success) throw new Error('invalid bench event');
    }
  },
  'parseAuditEvent (z.compile)': () => {
    for (const l of lines) if (!parseAuditEvent(l).ok) throw new Error('invalid bench event');
  },
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
for (let round = 0; round < 5; round++) {
  for (const [name, run] of Object.entries(paths)) {
    const t = performance.now();
    run();
    times[name]!.push(((performance.now() - t) * 1000) / n);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = median(times['parseAuditEvent (z.compile)']!);
console.log(`node ${process.version}, ${n} events; us/event (median of 5), ratio = this / parseAuditEvent`);
for (const [name, xs] of Object.entries(times)) console.log(`  ${name.padEnd(40)} ${median(xs).toFixed(2).padStart(6)} us   ${(median(xs) / ours).toFixed(2)}x`);
