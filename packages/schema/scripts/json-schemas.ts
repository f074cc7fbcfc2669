import { z } from 'zod';
import { auditEventSchema, eventSchemas } from '../src/audit-event.js';
import { EVENT_TYPES, SCHEMA_BASE_URI } from '../src/constants.js';
import { kebab } from '../src/mappers/common.js';

/** A JSON Schema document as emitted (plain JSON). */
export type JsonSchemaDoc = { [key: string]: unknown };

/**
 * `io: 'input'`: the schema describes what a producer may send, which is
 * what a non-zod producer or a validating gateway needs. Free text that zod
 * repairs and cuts (fields/text.ts `freeText`, `evidenceText`) therefore has
 * no `maxLength`: longer text is valid input, and its description says
 * where it is cut. zod emits the same schema for output (no defaults or
 * transforms; `overwrite` keeps the type), and a test asserts that, so a
 * future transform forces a deliberate choice here.
 *
 * What the schema still cannot say, so zod alone enforces (README "Use the
 * JSON Schema without zod"): no lone surrogates in identifiers,
 * identifier limits in UTF-16 code units where `maxLength` counts code
 * points (stated in each description), and a counter regression's two
 * counters (no keyword compares members; stated in its description). A
 * consumer validating with this schema accepts a few events zod refuses.
 */
export const JSON_SCHEMA_IO = 'input' as const;

/** zod's JSON Schema for one schema, draft 2020-12, failing on anything unrepresentable; patterns made {@link portablePattern}. */
export function zodToJsonSchema(schema: z.ZodType, io: 'input' | 'output' = JSON_SCHEMA_IO): JsonSchemaDoc {
  return withPortablePatterns(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw', cycles: 'throw' })) as JsonSchemaDoc;
}

/**
 * Line terminators, as literal characters in a class: what Python's `$`
 * (a final LF), .NET's (a final LF) and Java's (any final line terminator:
 * LF, CR, NEL, LS, PS) match before. A pattern that ends in `$` is
 * published with `not: { type: 'string', pattern: LINE_TERMINATOR }` beside
 * it, which no value with such a character passes in any dialect.
 */
export const LINE_TERMINATOR = '[\n\r\u0085\u2028\u2029]';

/** Characters a `\uXXXX` escape may not be turned into: they mean something in a pattern. */
const SYNTAX = new Set('\\^$.|?*+()[]{}-/');

/**
 * A pattern as every common JSON Schema validator reads it, not only
 * ECMA-262 ones (Ajv). JSON Schema asks for the ECMA-262 dialect (JSON
 * Schema Core 2020-12 §6.4), yet analysts validate with Python's
 * `jsonschema` (`re.search`), Java and .NET validators, and Go's and Rust's,
 * whose regex engines (RE2, `regex`) have no lookaround and no `\u`
 * escape. So, meaning for ECMA-262 (and zod) exactly what zod's regex means:
 * - `\d` is written `[0-9]`: Python and .NET `\d` match any Unicode digit
 *   (schema_version "1.٣.0" passed there; found by a probe);
 * - a `\uXXXX` escape is written as the character itself (JSON text escapes
 *   it again when it is a control character), which every engine reads;
 * - a lookaround is refused here (write the regex without one), so that
 *   RE2 and Rust can compile every published pattern;
 * - a final `$` stays `$` (end of text in ECMA-262, RE2 and Rust); Python,
 *   Java and .NET also let it match before a final line terminator, which
 *   the {@link LINE_TERMINATOR} `not` beside it refuses (withPortablePatterns).
 * test/json-schema-dialects.test.ts runs every published pattern through
 * Go's regexp, Python's re and java.util.regex against ECMA-262.
 */
export function portablePattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      const hex = next === 'u' ? /^[0-9a-fA-F]{4}/.exec(pattern.slice(i + 2))?.[0] : undefined;
      if (hex !== undefined) {
        const ch = String.fromCharCode(parseInt(hex, 16));
        if (SYNTAX.has(ch) || /[\ud800-\udfff]/.test(ch)) throw new Error(`pattern ${pattern}: \\u${hex} cannot be written as itself`);
        out += ch;
        i += 5;
        continue;
      }
      out += next === 'd' ? (inClass ? '0-9' : '[0-9]') : c + next;
      i++;
    } else if (c === '(' && !inClass && pattern[i + 1] === '?' && '=!<'.includes(pattern[i + 2] ?? '')) {
      throw new Error(`pattern ${pattern} uses a lookaround (or a named group), which RE2 (Go) and Rust's regex do not have: write it without`);
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
    } else if (c === ']' && inClass) {
      inClass = false;
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

/** True when `pattern` ends in an anchor `$` (not an escaped `\$`). */
export const endsInDollar = (pattern: string): boolean => /(?<!\\)(?:\\\\)*\$$/.test(pattern);

/**
 * `doc` with every `pattern` made {@link portablePattern}, and beside each
 * that ends in `$` a `not` refusing line terminators ({@link LINE_TERMINATOR}).
 */
function withPortablePatterns(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(withPortablePatterns);
  if (!doc || typeof doc !== 'object') return doc;
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(doc).map(([k, v]) => [k, k === 'pattern' && typeof v === 'string' ? portablePattern(v) : withPortablePatterns(v)]),
  );
  if (typeof out.pattern === 'string' && endsInDollar(out.pattern)) {
    if (out.not !== undefined) throw new Error(`a schema with pattern ${out.pattern} already has a not`);
    out.not = { type: 'string', pattern: LINE_TERMINATOR };
  }
  return out;
}

/**
 * zod emits `{ $ref: '#/$defs/<id>', $defs }` for a root with a meta `id`.
 * Make the root the schema itself, with `$id` (version in the path) and a
 * `title` on every definition (json-schema-to-typescript names types by it).
 */
function publish(doc: JsonSchemaDoc, fileName: string): JsonSchemaDoc {
  const { $schema, $ref, $defs, ...rest } = doc as { $schema: string; $ref?: string; $defs?: Record<string, JsonSchemaDoc> };
  const defs: Record<string, JsonSchemaDoc> = { ...$defs };
  let root: JsonSchemaDoc = rest;
  let title: string | undefined;
  if ($ref) {
    title = $ref.replace('#/$defs/', '');
    root = { ...defs[title], ...rest };
    delete defs[title];
  }
  for (const [name, def] of Object.entries(defs)) defs[name] = { title: name, ...def };
  const out: JsonSchemaDoc = { $schema, $id: `${SCHEMA_BASE_URI}/${fileName}`, title, ...root };
  if (Object.keys(defs).length) out.$defs = defs;
  const text = JSON.stringify(out);
  if (title && text.includes(`"#/$defs/${title}"`)) throw new Error(`${fileName}: the root is referenced from inside`);
  return out;
}

/** Every `$ref` in `doc` (to check they are local). */
export function collectRefs(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) for (const v of doc) collectRefs(v, out);
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** File name of an event type's schema: `WEBAUTHN_AUTH_FAILURE` -> `webauthn-auth-failure.json`. */
export const schemaFileName = (eventType: string): string => `${kebab(eventType)}.json`;

/** File name of the union's schema. */
export const UNION_FILE = 'audit-event.json';

/**
 * The published JSON Schemas: one per event type plus the union, keyed by
 * file name, in a stable order. Throws when a `$ref` is not local.
 */
export function buildJsonSchemas(): Map<string, JsonSchemaDoc> {
  const docs = new Map<string, JsonSchemaDoc>();
  for (const type of EVENT_TYPES) {
    docs.set(schemaFileName(type), publish(zodToJsonSchema(eventSchemas[type]), schemaFileName(type)));
  }
  docs.set(UNION_FILE, publish(zodToJsonSchema(auditEventSchema), UNION_FILE));
  for (const [name, doc] of docs) {
    const external = collectRefs(doc).filter((r) => !r.startsWith('#'));
    if (external.length) throw new Error(`${name}: non-local $ref ${external.join(', ')}`);
  }
  return docs;
}
