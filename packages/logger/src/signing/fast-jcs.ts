import { assertSignable, jcs } from './canonical.js';

/** Returned by {@link sortedCopy} for anything outside the common domain. */
const SLOW = Symbol('slow');

// Sorted key lists, found by their first key: events of one type repeat
// the same lists, and comparing a list costs less than sorting it again.
const sortedKeysCache = new Map<string, { keys: string[]; sorted: string[] }>();
const CACHE_LIMIT = 512;

function sortedKeys(keys: string[]): string[] {
  const n = keys.length;
  if (n < 2) return keys;
  const hit = sortedKeysCache.get(keys[0]!);
  if (hit && hit.keys.length === n) {
    let same = true;
    for (let i = 1; i < n; i++) {
      if (hit.keys[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return hit.sorted;
  }
  // Array.prototype.sort compares by UTF-16 code units: RFC 8785 §3.2.3.
  const sorted = [...keys].sort();
  if (sortedKeysCache.size >= CACHE_LIMIT) sortedKeysCache.clear();
  sortedKeysCache.set(keys[0]!, { keys, sorted });
  return sorted;
}

/**
 * A copy of `value` whose objects have their keys inserted in RFC 8785
 * order, so that `JSON.stringify` of it is the JCS text; SLOW when `value`
 * holds anything but strings, booleans, null, safe integers, plain arrays
 * and plain objects with non-numeric-looking keys. Why the restriction:
 * JSON.stringify and RFC 8785 agree on strings (§3.2.2.2 is ECMAScript's
 * JSON.stringify escaping, lone surrogates as \uXXXX since ES2019) and on
 * safe integers (§3.2.2.3, Number.prototype.toString), and JSON.stringify
 * writes an ordinary object's string keys in insertion order; but integer-like
 * keys ("7", "10") are enumerated numerically first whatever the insertion
 * order, and toJSON, boxed primitives, floats and undefined inside arrays
 * are each handled in their own way. Removes undefined-valued keys, as
 * {@link assertSignable} does, so the written line equals the signed object.
 */
function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? value : SLOW;
    case 'object': {
      if (value === null) return null;
      const proto = Object.getPrototypeOf(value);
      if (proto === Array.prototype) {
        const arr = value as unknown[];
        const out = new Array<unknown>(arr.length);
        for (let i = 0; i < arr.length; i++) {
          const e = sortedCopy(arr[i]);
          if (e === SLOW) return SLOW;
          out[i] = e;
        }
        return out;
      }
      if (proto !== Object.prototype && proto !== null) return SLOW;
      const obj = value as Record<string, unknown>;
      if (typeof obj.toJSON === 'function') return SLOW;
      const out: Record<string, unknown> = {};
      for (const key of sortedKeys(Object.keys(obj))) {
        const c = key.charCodeAt(0);
        // Digit-led keys may be array indices (enumerated before others); "__proto__" would set a prototype.
        if ((c >= 48 && c <= 57) || key === '__proto__') return SLOW;
        const v = obj[key];
        if (v === undefined) {
          delete obj[key];
          continue;
        }
        const e = sortedCopy(v);
        if (e === SLOW) return SLOW;
        out[key] = e;
      }
      return out;
    }
    default:
      return SLOW;
  }
}

/**
 * `assertSignable(value)` followed by `jcs(value)` (the `canonicalize`
 * package, RFC 8785), computed as one walk plus one native JSON.stringify
 * for the values events are made of; anything else takes those two
 * functions themselves. Same errors (AUDIT_NOT_SIGNABLE), same text:
 * `fast-jcs.test.ts` compares it with `canonicalize` byte for byte on
 * random and hostile input.
 */
export function signableJcs(value: Record<string, unknown>): string {
  const copy = sortedCopy(value);
  if (copy !== SLOW) return JSON.stringify(copy);
  assertSignable(value);
  return jcs(value);
}

/**
 * Signs `event` whose `integrity` (the object given) has every member but
 * `mac`, and returns the line to write: JCS(event) with the mac, i.e. the
 * signed record in RFC 8785 form. One serialisation serves both: the event
 * is canonicalised with `integrity.mac` set to `placeholder` (a random
 * token of the signer), the MAC input JCS(event') is that text without
 * `"mac":"<placeholder>",` (in JCS `mac` sorts right before `prev`, which
 * every record has), and the line is the same text with the real mac.
 * `macOf` receives the MAC input in pieces. Falls back to
 * `assertSignable` + `canonicalize` whenever the fast walk does not apply
 * or the placeholder is not found exactly once. Throws AUDIT_NOT_SIGNABLE
 * (with `integrity.mac` removed again).
 */
export function signCanonical(
  event: Record<string, unknown>,
  integrity: Record<string, unknown>,
  placeholder: string,
  macOf: (pieces: string[]) => string,
): string {
  integrity.mac = placeholder;
  const copy = sortedCopy(event);
  if (copy !== SLOW) {
    const text = JSON.stringify(copy);
    const needle = `"mac":"${placeholder}",`;
    const at = text.indexOf(needle);
    if (at >= 0 && text.indexOf(needle, at + 1) < 0) {
      const head = text.slice(0, at);
      const tail = text.slice(at + needle.length);
      const mac = macOf([head, tail]);
      integrity.mac = mac;
      return `${head}"mac":"${mac}",${tail}`;
    }
  }
  delete integrity.mac;
  assertSignable(event);
  integrity.mac = macOf([jcs(event)]);
  return jcs(event);
}
