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
 * Detectors whose events the receivers map from a source record (a Docker
 * event, a Falco alert, a Kubernetes audit record), with an event_id derived
 * from that record (normalize/deterministic-id.ts): the same id means the
 * same record, whatever the mapping made of it. Another stage of one
 * Kubernetes request, or a record sent again after an upgrade that maps it
 * differently (a new schema_version, a new field), is then a duplicate, not
 * an alarm (found by a review).
 */
const DERIVED_ID_DETECTORS = new Set(['docker-events', 'falco', 'kubernetes-audit']);

/** The detector name of a mapped event whose id the receivers derive, else undefined. */
function derivedBy(/** @type {Record<string, unknown>} */ e) {
  const d = e.detector;
  const name = typeof d === 'object' && d !== null ? /** @type {Record<string, unknown>} */ (d).name : undefined;
  return typeof name === 'string' && DERIVED_ID_DETECTORS.has(name) ? name : undefined;
}

/**
 * Whether `stored` (an `event_json` already in the events table) and `raw`
 * (a line arriving with the same event_id) hold the same event. Equal text
 * is the common case: a resend, a spool replay, a Fluentd retry. Otherwise
 * both are read as JSON and compared without the transport fields beside
 * the event (pino's `time`, `pid`, ...: not part of the event), so the same
 * event written out again (another member order or spacing, a record
 * re-serialised by a parser on the way) is still a duplicate, and so is a
 * mapped event of the same derived-id detector ({@link DERIVED_ID_DETECTORS}),
 * event_type and event_time.
 * Anything else is a different event under a used id: evidence, never
 * dropped as a duplicate. JSON nested too deep to compare (the schema allows
 * no such event) counts as different.
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
  // Same detector, type and time: the record's time is part of the derived
  // id and of the mapping, while a forged line under a used id, which the
  // sender chose, would have to match all three to pass as a duplicate.
  const derived = derivedBy(a);
  if (derived !== undefined && derived === derivedBy(b) && a.event_type === b.event_type && a.event_time === b.event_time) return true;
  for (const f of transportFields) {
    delete a[f];
    delete b[f];
  }
  try {
    return equalJson(a, b);
  } catch {
    // RangeError: call stack exhausted by nesting JSON.parse takes (10 000 levels).
    return false;
  }
}
