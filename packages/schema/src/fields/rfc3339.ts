// RFC 3339 section 5.6 date-time: full-date "T" full-time, with a fraction
// of a second optional and the offset required (Z or +hh:mm/-hh:mm); the
// letters T and Z may be lower case (section 5.6, NOTE).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year`, by the Gregorian rules RFC 3339 uses. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/**
 * An RFC 3339 date-time with its offset, as a Date (the fraction cut to
 * milliseconds); undefined for anything else. Checked field by field:
 * `Date.parse` alone takes "12" for the year 2001, a date without a zone
 * (`2026-03-01T12:00:00`, `2026-03-01 12:00:00`) as local time, so the same
 * text meant another instant under another TZ, and rolls 2026-02-30 over to
 * March and `24:00:00` to the next day. A leap second (`:60`) is refused:
 * Date cannot hold one. The one parser of times that come from outside: the
 * CLI's `--as-of`, and the record times of Falco alerts and Kubernetes audit
 * events the sink maps to events.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [offsetHours, offsetMinutes] = m[8] ? [0, 0] : [Number(m[10]), Number(m[11])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const t = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0-99 as 1900-1999.
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute - offset, second, ms);
  return t;
}
