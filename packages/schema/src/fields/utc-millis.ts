/**
 * An RFC 3339 UTC time as `YYYY-MM-DDTHH:MM:SS.sssZ`, millisecond precision
 * (extra digits cut, as Date does). The schema accepts any number of
 * fraction digits (formats.ts `utcTimestamp`); what stores or indexes the
 * time takes a fixed form:
 *
 * - the table's `event_timestamp` (table/columns.ts): SQLite keeps the
 *   column as text, and text sorts like time only at one fixed width
 *   (`...:00Z` sorted after `...:00.5Z`); the same form as SQLite's
 *   `strftime('%Y-%m-%dT%H:%M:%fZ')`, which the report queries compare with;
 * - ECS `@timestamp` (mappers/ecs.ts): Elasticsearch's default `date`
 *   format, `strict_date_optional_time||epoch_millis`, takes at most nine
 *   fraction digits and a `date` field holds milliseconds
 *   (https://www.elastic.co/guide/en/elasticsearch/reference/current/date.html),
 *   so a tenth digit failed to parse and the document was refused.
 *
 * Internal: not exported from the package.
 */
export function utcMillis(time: string): string {
  // Already the form (what toISOString and the logger write): no Date on the hot path.
  if (time.length === 24 && time.charCodeAt(19) === 46 /* . */) return time;
  return new Date(time).toISOString();
}
