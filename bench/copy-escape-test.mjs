// Does a row need COPY escaping (backslash, tab, LF, CR)? One character-class
// regex against four indexOf calls, over 1 200-character row slices of a
// 60 000-character text (a row chunk's range, as the PostgreSQL adapter's
// copyPieces reads it), in Latin-1 text and in text outside it. V8 searches a
// one-byte string for one character with memchr; the regex steps through
// every character. Prints µs per 60 000 characters and the ratio.
//   node bench/copy-escape-test.mjs
const ROW = 1200;
const CHARS = 60_000;
const line = '{"event_id":"0190a0e0-0000-7000-8000-000000000001","event_type":"WEBAUTHN_AUTH_FAILURE","user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"}';
const texts = { 'Latin-1': line.repeat(CHARS / line.length + 1).slice(0, CHARS), 'two-byte': ('é☃' + line).repeat(CHARS / line.length + 1).slice(0, CHARS) };
const ESCAPED = /[\\\t\n\r]/;
const byRegex = (s) => ESCAPED.test(s);
const byIndexOf = (s) => s.indexOf('\\') >= 0 || s.indexOf('\t') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;

let hits = 0;
/** µs per text of testing each row slice with `test`. */
function measure(text, test) {
  const run = () => {
    for (let p = 0; p < CHARS; p += ROW) if (test(text.slice(p, p + ROW))) hits++;
  };
  for (let i = 0; i < 2000; i++) run();
  const t = process.hrtime.bigint();
  const n = 20_000;
  for (let i = 0; i < n; i++) run();
  return Number(process.hrtime.bigint() - t) / n / 1000;
}

console.log(`node ${process.version}; per ${CHARS} characters in ${ROW}-character rows`);
for (const [name, text] of Object.entries(texts)) {
  const r = measure(text, byRegex);
  const i = measure(text, byIndexOf);
  console.log(`  ${name.padEnd(9)} regex ${r.toFixed(2).padStart(6)} µs | indexOf x4 ${i.toFixed(2).padStart(6)} µs | regex/indexOf ${(r / i).toFixed(1)}x`);
}
if (hits !== 0) throw new Error('the bench texts hold no character to escape');
