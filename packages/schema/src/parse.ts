import { z } from 'zod';
import { eventSchemas, type AuditEvent } from './audit-event.js';
import { EVENT_TYPES, MAX_COMMAND_LINE_LENGTH, TRANSPORT_FIELDS, type EventType } from './constants.js';
import { escapeControls, sanitizeText } from './fields/text.js';
import { duplicateName } from './json/duplicate-names.js';
import { loneSurrogateEscape } from './json/lone-surrogates.js';
import { beyondJsonReaders, MAX_EXPONENT_DIGITS, MAX_JSON_DEPTH, MAX_NUMBER_LENGTH } from './json/reader-limits.js';
import { setOwnMember } from './json/own-member.js';

/** Longest JSON text {@link parseAuditEvent} will parse (a guard, not a schema rule). */
export const MAX_EVENT_JSON_LENGTH = 2 * 1024 * 1024;

/** Longest `user_agent` kept; longer values are cut and `user_agent_truncated` is set. */
export const MAX_USER_AGENT_LENGTH = 1024;

/**
 * The `user_agent` rule, shared with the logger: a value longer than
 * {@link MAX_USER_AGENT_LENGTH} is cut, never between the two halves of a
 * surrogate pair (the schema would turn the lone half into U+FFFD), and
 * `user_agent_truncated` is set. Mutates `event`.
 */
export function truncateUserAgent(event: Record<string, unknown>): void {
  const ua = event.user_agent;
  if (typeof ua !== 'string' || ua.length <= MAX_USER_AGENT_LENGTH) return;
  const last = ua.charCodeAt(MAX_USER_AGENT_LENGTH - 1);
  event.user_agent = ua.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_USER_AGENT_LENGTH - 1 : MAX_USER_AGENT_LENGTH);
  event.user_agent_truncated = true;
}

/**
 * Sets `process.command_line_truncated` when the schema will cut the command
 * line (longer than {@link MAX_COMMAND_LINE_LENGTH} once its control
 * characters are escaped). Cut without a mark, a command padded with 4000
 * spaces hid its tail (`; curl ... | sh`) from the event, and nothing said
 * the event held only its head (found by a probe). `process` is replaced by
 * a copy, never changed: it may be the caller's object.
 */
export function flagCutCommandLine(event: Record<string, unknown>): void {
  const p = event.process;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return;
  const cl = (p as Record<string, unknown>).command_line;
  // An escape is at most 6 units (\u202e): a line that short cannot be cut.
  if (typeof cl !== 'string' || cl.length * 6 <= MAX_COMMAND_LINE_LENGTH) return;
  if (escapeControls(cl, Number.POSITIVE_INFINITY).length <= MAX_COMMAND_LINE_LENGTH) return;
  event.process = { ...p, command_line_truncated: true };
}

/**
 * The text an event holds only the head of, marked before the schema cuts
 * it: `user_agent` (cut here, {@link truncateUserAgent}) and
 * `process.command_line` ({@link flagCutCommandLine}). Shared with the
 * logger, so an event says the same whichever of the two validated it.
 */
export function markTruncatedText(event: Record<string, unknown>): void {
  truncateUserAgent(event);
  flagCutCommandLine(event);
}

/** One reason an input is not a valid event. `path` is dotted (`webauthn.credential_id`), '' for the root. */
export interface AuditIssue {
  path: string;
  message: string;
}

/** Outcome of {@link parseAuditEvent}: the typed event, or why not. Never thrown. */
export type ParseResult =
  | { ok: true; event: AuditEvent; transport: Record<string, unknown> }
  | { ok: false; issues: AuditIssue[] };

const eventTypes = new Set<string>(EVENT_TYPES);
const transportFields = new Set<string>(TRANSPORT_FIELDS);

/**
 * The event schemas compiled by zod's ahead-of-time compiler (`z.compile`,
 * zod >= 4.6): a generated fast path for valid input that hands anything it
 * cannot decide, and every failure, to zod's runtime parser, so results and
 * issue messages are the runtime's own (parse-compiled.test.ts compares them
 * on mutated events). On valid events zod's own time drops about 4x; with
 * JSON.parse, 3.0-3.2 us per event against 5.9-6.0 us (bench/parse.ts). Compiled on
 * first use of each type, so importing the package costs nothing.
 */
const compiled = new Map<string, z.ZodType>();
function schemaOf(type: EventType): z.ZodType {
  let schema = compiled.get(type);
  if (!schema) compiled.set(type, (schema = z.compile(eventSchemas[type])));
  return schema;
}

/**
 * True when an object JSON.parse made has a transport field. A for-in loop,
 * not Object.keys: no array of ~30 keys per event (JSON.parse objects have
 * only own enumerable properties, so both see the same keys).
 */
function hasTransportField(parsed: Record<string, unknown>): boolean {
  for (const key in parsed) if (transportFields.has(key)) return true;
  return false;
}

function fail(path: string, message: string): ParseResult {
  return { ok: false, issues: [{ path, message }] };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function toIssues(error: z.ZodError): AuditIssue[] {
  const issues: AuditIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: formatPath([...issue.path, key]),
          message: `unknown field "${sanitizeText(key, 64)}"`,
        });
      }
    } else if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) {
      // A missing literal or enum (log_type, outcome) is reported like any other missing field.
      const expected =
        issue.code === 'invalid_type' ? issue.expected : issue.values.map((v) => JSON.stringify(v)).join(' or ');
      issues.push({ path: formatPath(issue.path), message: `required field is missing (expected ${expected})` });
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/**
 * Validates one audit event.
 *
 * Accepts the event as an object or as JSON text. Fields a transport adds
 * around the event (pino's `level`, `time`, `pid`, `hostname`, `msg`) are
 * split off into `transport`; they are not part of the signed event. A
 * `user_agent` over 1024 characters is cut and flagged, not rejected. Text
 * that holds a member name twice in one object (duplicate-names.ts), an
 * escaped lone surrogate (lone-surrogates.ts), nesting or a number literal
 * beyond what SQLite's and PostgreSQL's JSON readers take (reader-limits.ts)
 * is refused.
 *
 * Never throws: bad input yields `{ ok: false, issues }`, each issue with a
 * dotted path and a readable message. That holds for objects that throw
 * when read too (a getter, a Proxy trap, a revoked Proxy): the exception
 * becomes an issue at the root instead of reaching the caller.
 */
export function parseAuditEvent(input: unknown): ParseResult {
  try {
    return parseUnguarded(input);
  } catch (err) {
    return { ok: false, issues: [unreadableInputIssue(err)] };
  }
}

/**
 * The issue of input that threw when read (a getter, a revoked Proxy, an
 * ownKeys trap): what parseAuditEvent reports, and the logger for a draft.
 */
export function unreadableInputIssue(err: unknown): AuditIssue {
  return { path: '', message: `the input could not be read: ${thrownText(err)}` };
}

/**
 * What an exception says, sanitised and cut to 200 characters like a JSON
 * syntax error; reading it must not throw in turn (a getter on `message`, a
 * `toString` that throws).
 */
export function thrownText(err: unknown): string {
  try {
    return sanitizeText(err instanceof Error ? `${err.name}: ${err.message}` : String(err), 200);
  } catch {
    return 'an exception that cannot be shown';
  }
}

function parseUnguarded(input: unknown): ParseResult {
  let value = input;
  if (typeof value === 'string') {
    if (value.length > MAX_EVENT_JSON_LENGTH) {
      return fail('', `event JSON is ${value.length} characters; the limit is ${MAX_EVENT_JSON_LENGTH}`);
    }
    try {
      value = JSON.parse(value);
    } catch (err) {
      return fail('', `not valid JSON: ${sanitizeText((err as Error).message, 200)}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', `expected a JSON object, received ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`);
  }

  // The event, and the transport fields beside it. A "__proto__" key stays a
  // key (and is rejected as unknown): JSON.parse makes it an own property, and
  // put() copies it as one.
  const source = value as Record<string, unknown>;
  let event: Record<string, unknown>;
  let transport: Record<string, unknown> = {};
  if (typeof input === 'string' && !hasTransportField(source)) {
    // Parsed here, so ours to use as it is: no copy of every event's keys.
    event = source;
  } else {
    event = {};
    for (const key of Object.keys(source)) setOwnMember(transportFields.has(key) ? transport : event, key, source[key]);
  }

  const type = event.event_type;
  if (typeof type !== 'string' || !eventTypes.has(type)) {
    // Absent: a JSON line that is no audit event at all (an access log line), not one of an unknown type.
    if (type === undefined) return fail('event_type', `event_type is missing; expected one of ${EVENT_TYPES.join(', ')}`);
    const shown = typeof type === 'string' ? `"${sanitizeText(type, 60)}"` : String(typeof type);
    return fail('event_type', `unknown event_type ${shown}; expected one of ${EVENT_TYPES.join(', ')}`);
  }

  markTruncatedText(event);

  const result = schemaOf(type as EventType).safeParse(event, { reportInput: true });
  if (!result.success) return { ok: false, issues: toIssues(result.error) };
  // Text only: an object cannot hold a name twice. After the schema, so that
  // garbage is not scanned twice (json/duplicate-names.ts says why it matters).
  if (typeof input === 'string') {
    const dup = duplicateName(input, value);
    if (dup !== undefined) return fail('', `the name ${JSON.stringify(dup.slice(0, 64))} occurs twice in one object (RFC 7493 §2.3): parsers that keep the first occurrence would read other values than these`);
    const lone = loneSurrogateEscape(input);
    if (lone !== undefined) return fail('', `the text holds the escape ${lone}, half of a UTF-16 surrogate pair alone (RFC 8259 §8.2, RFC 7493 §2.1): other parsers read it otherwise or not at all (PostgreSQL's jsonb refuses the whole text)`);
    // Stored as event_json, such a text stopped every report that reads it (json/reader-limits.ts).
    const beyond = beyondJsonReaders(input);
    if (beyond?.kind === 'depth') return fail('', `the text nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels: SQLite's JSON functions and PostgreSQL's jsonb refuse such text past their limits`);
    if (beyond) return fail('', `the text holds the number ${JSON.stringify(beyond.literal.slice(0, 24))}${beyond.literal.length > 24 ? '...' : ''} spelled with more than ${MAX_NUMBER_LENGTH} characters or an exponent of more than ${MAX_EXPONENT_DIGITS} digits: PostgreSQL's jsonb cannot hold such numbers and refuses the whole text`);
  }
  return { ok: true, event: result.data as AuditEvent, transport };
}
