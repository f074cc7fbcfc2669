// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: same-event.d.ts.

/**
 * True when two JSON values are equal as JSON data: objects by their names
 * and values in any order, arrays element by element, numbers by value.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
function equalJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = /** @type {unknown[]} */ (b);
    return a.length === bs.length && a.every((x, i) => equalJson(x, bs[i]));
  }
  const ao = /** @type {Record<string, unknown>} */ (a);
  const bo = /** @type {Record<string, unknown>} */ (b);
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.hasOwn(bo, k) && equalJson(ao[k], bo[k]));
}

/**
 * Whether `stored` (an `event_json` already in the events table) and `raw`
 * (a line arriving with the same event_id) hold the same event. Equal text
 * is the common case: a resend, a spool replay, a Fluentd retry. Otherwise
 * both are read as JSON and compared without the transport fields beside
 * the event (pino's `time`, `pid`, ...: not part of the event), so the same
 * event written out again (another member order or spacing, a record
 * re-serialised by a parser on the way) is still a duplicate. Anything else
 * is a different event under a used id: evidence, never dropped as a duplicate.
 * @param {string} stored
 * @param {string} raw
 * @param {readonly string[]} transportFields
 * @returns {boolean}
 */
export function sameEvent(stored, raw, transportFields) {
  if (stored === raw) return true;
  let a;
  let b;
  try {
    a = JSON.parse(stored);
    b = JSON.parse(raw);
  } catch {
    return false;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) return false;
  for (const f of transportFields) {
    delete a[f];
    delete b[f];
  }
  return equalJson(a, b);
}
