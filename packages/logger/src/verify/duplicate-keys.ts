/**
 * The first member name that occurs twice in one object of a JSON text, or
 * undefined. `text` must be valid JSON (it was parsed already).
 *
 * JSON.parse keeps the last of duplicate names; other parsers keep the first
 * (SQLite's json_extract, many log pipelines). So a line carrying a second,
 * earlier `"event_type"` verifies, since the MAC covers what JSON.parse read,
 * yet shows another value to those tools. RFC 8785 rests on I-JSON (RFC 7493
 * §2.3: names MUST be unique), so a duplicate is a finding. Names are compared
 * decoded: `"a"` and `"\u0061"` are the same name.
 */
export function duplicateKey(text: string): string | undefined {
  // One entry per open object (its names so far) or array (null).
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = stack.at(-1) != null;
    } else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const names = stack.at(-1);
      if (expectName && names) {
        const name = JSON.parse(text.slice(start, i + 1)) as string;
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
    }
  }
  return undefined;
}
