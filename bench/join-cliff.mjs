/**
 * What joining strings costs per character on each side of V8's largest
 * regular object (kMaxRegularHeapObjectSize, 128 KiB): a longer string is
 * allocated in large-object space, pages mapped for it alone. The sink keeps
 * each packed text under 60 000 characters because of this
 * (packages/ingest-sink/src/rows/packed-rows.js).
 *
 *   node bench/join-cliff.mjs
 */
const cell = 'x'.repeat(533); // about one audit line
const results = [];
for (const count of [50, 100, 200, 240, 250, 500, 1000]) {
  const parts = Array.from({ length: count }, (_, i) => `${cell}${i}`.slice(0, 533));
  const reps = Math.round(400_000 / count);
  let chars = 0;
  for (let i = 0; i < 50; i++) chars += parts.join('').length; // warm-up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) chars += parts.join('').length;
  const ns = ((performance.now() - t0) * 1e6) / (reps * count * 533);
  results.push({ count, kib: (count * 533) / 1024, ns });
  if (chars === 0) throw new Error('unreachable');
}
console.log('strings  joined KiB  ns/char');
for (const r of results) console.log(`${String(r.count).padStart(7)} ${r.kib.toFixed(0).padStart(11)} ${r.ns.toFixed(3).padStart(8)}`);
const under = results.filter((r) => r.kib < 128);
const over = results.filter((r) => r.kib >= 128);
const mean = (xs) => xs.reduce((a, r) => a + r.ns, 0) / xs.length;
console.log(`\nratio over/under 128 KiB: ${(mean(over) / mean(under)).toFixed(1)}x per character`);
