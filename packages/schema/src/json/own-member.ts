/**
 * Sets `key` on `target` as an own, enumerable data member. A plain
 * assignment would do, except for `"__proto__"`: JSON.parse (and a msgpack
 * map) makes it an own member, and assigned it sets the object's prototype
 * instead, so the member vanishes from every copy and validation never sees
 * it (found by probes). Every other key is assigned, which V8 keeps fast.
 */
export function setOwnMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
