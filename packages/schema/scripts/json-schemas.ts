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
 * JSON Schema without zod"): no lone surrogates in identifiers, and
 * identifier limits in UTF-16 code units where `maxLength` counts code
 * points (stated in each description). A consumer validating with this
 * schema accepts a few events zod refuses.
 */
export const JSON_SCHEMA_IO = 'input' as const;

/** zod's JSON Schema for one schema, draft 2020-12, failing on anything unrepresentable; patterns made {@link portablePattern}. */
export function zodToJsonSchema(schema: z.ZodType, io: 'input' | 'output' = JSON_SCHEMA_IO): JsonSchemaDoc {
  return withPortablePatterns(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw', cycles: 'throw' })) as JsonSchemaDoc;
}

/**
 * A pattern as every common JSON Schema validator reads it, not only
 * ECMA-262 ones (Ajv). JSON Schema asks for the ECMA-262 dialect (JSON
 * Schema Core 2020-12 §6.4), yet Python's `jsonschema`, which many analysts'
 * pipelines use, runs patterns with `re.search`, where `$` also matches
 * before a final line feed and `\d` matches any Unicode digit
 * (https://docs.python.org/3/library/re.html; Java's `$` and .NET's `$` and
 * `\d` read the same way): it accepted `user_id`
 * "alice\n", an `event_id` or `event_time` ending in a line feed and
 * schema_version "1.٣.0", all refused by zod (found by a probe). So a final
 * `$` is written `(?![\s\S])` (nothing follows, in every dialect) and `\d`
 * `[0-9]`; in ECMA-262 without the `m` flag both mean what they replace, so
 * zod's regexes and the published patterns still accept the same strings.
 */
export function portablePattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      out += next === 'd' ? (inClass ? '0-9' : '[0-9]') : c + next;
      i++;
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
    } else if (c === ']' && inClass) {
      inClass = false;
      out += c;
    } else if (c === '$' && !inClass && i === pattern.length - 1) {
      out += '(?![\\s\\S])';
    } else {
      out += c;
    }
  }
  return out;
}

/** `doc` with every `pattern` made {@link portablePattern}. */
function withPortablePatterns(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(withPortablePatterns);
  if (!doc || typeof doc !== 'object') return doc;
  return Object.fromEntries(
    Object.entries(doc).map(([k, v]) => [k, k === 'pattern' && typeof v === 'string' ? portablePattern(v) : withPortablePatterns(v)]),
  );
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
