// Readers of the fields of a parsed JSON document a mapper takes apart (a
// Kubernetes audit event, its request body): absent reads as absent, the
// wrong type throws a TypeError naming the field and the kind found, never
// its text, which classifyObject stores as the reject's reason.

/** A value's kind, for an error message (never its text). */
export function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  const t = typeof value;
  return `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/** A string field, or undefined when absent or empty; throws when present with another type. */
export function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${field} is ${kindOf(value)}, not a string`);
  return value === '' ? undefined : value;
}

/** A string field that must be there (not empty). */
export function requiredText(value: unknown, field: string): string {
  const text = optionalText(value, field);
  if (text === undefined) throw new TypeError(`${field} is missing`);
  return text;
}

/** A list of strings, empty when absent; throws when present with another type. */
export function optionalTexts(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TypeError(`${field} is ${kindOf(value)}, not an array`);
  return value.map((v, i) => {
    if (typeof v !== 'string') throw new TypeError(`${field}[${i}] is ${kindOf(v)}, not a string`);
    return v;
  });
}

/** A boolean field, false when absent; throws when present with another type. */
export function optionalFlag(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${field} is ${kindOf(value)}, not a boolean`);
  return value;
}

/** An object field, or undefined when absent; throws when present with another type. */
export function optionalObject<T = Record<string, unknown>>(value: unknown, field: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${field} is ${kindOf(value)}, not an object`);
  return value as T;
}
