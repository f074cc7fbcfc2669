/**
 * A copy of `value` with one random change at a random depth, for property
 * tests of code that takes untrusted structured input: a field deleted, a
 * field replaced by one of `odd`, or a string with one character changed.
 * `rand(n)` returns a whole number in [0, n) (prng.ts: prngInt).
 */
export function mutate(value: unknown, rand: (n: number) => number, odd: readonly unknown[]): unknown {
  if (typeof value === 'string') {
    if (value.length === 0 || rand(2) === 0) return odd[rand(odd.length)];
    const at = rand(value.length);
    return value.slice(0, at) + String.fromCharCode(0x20 + rand(95)) + value.slice(at + 1);
  }
  if (typeof value !== 'object' || value === null) return odd[rand(odd.length)];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rand(6) === 0) return odd[rand(odd.length)];
  const k = keys[rand(keys.length)]!;
  const r = rand(4);
  if (r === 0) delete copy[k];
  else if (r === 1) copy[k] = odd[rand(odd.length)];
  else copy[k] = mutate(copy[k], rand, odd);
  return copy;
}
