// What keeping a row chunk's text outside the V8 heap costs
// (src/rows/row-chunk.ts): testing a text for characters above U+00FF,
// encoding it into a buffer and decoding it back, per text of ~53 000
// characters (one chunk of ~55 audit rows), next to joining its parts (what
// packing a chunk already does) and a structured clone of the string (what
// the worker hop already did). One thread, the median of 5 runs of 20 000.
//   node bench/text-encoding.mjs
const parts = [];
for (let i = 0; i < 55; i++) parts.push(JSON.stringify({ event_id: `0193${i}`.padEnd(36, 'a'), user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36', message: 'x'.repeat(600) }) + 'swarm.audit.node1.api.task1'.repeat(8));
const text = parts.join('');
const latin1 = Buffer.from(text, 'latin1');
const utf8 = Buffer.from(text, 'utf8');
const utf16 = Buffer.from(text, 'utf16le');
const slab = Buffer.allocUnsafeSlow(64 * 1024);
const N = 20_000;

/** Median µs per call of `fn` over 5 runs of N calls, after a warm-up. */
function measure(fn) {
  for (let i = 0; i < 2_000; i++) fn();
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1e3 / N);
  }
  return runs.sort((a, b) => a - b)[2];
}

const cases = {
  'join the parts (packing, as before)': () => parts.join(''),
  'structuredClone of the string (worker hop, as before)': () => structuredClone(text),
  'test /[^\\x00-\\xff]/ (one-byte string)': () => /[^\x00-\xff]/.test(text),
  'test /[^\\x00-\\x7f]/ (for comparison)': () => /[^\x00-\x7f]/.test(text),
  'write into a slab, latin1': () => slab.write(text, 0, 'latin1'),
  'Buffer.from, utf8': () => Buffer.from(text, 'utf8'),
  'decode, latin1': () => latin1.toString('latin1'),
  'decode, utf8': () => utf8.toString('utf8'),
  'decode, utf16le': () => utf16.toString('utf16le'),
};
console.log(`text of ${text.length} characters; µs per call (median of 5 x ${N})`);
let base;
for (const [name, fn] of Object.entries(cases)) {
  const us = measure(fn);
  base ??= us;
  console.log(`  ${name.padEnd(56)} ${us.toFixed(2).padStart(7)} µs  ${(us / base).toFixed(2)}x the join`);
}
