import { describe, expect, it } from 'vitest';
import { bindQuery, getReportQuery, renderQuery, ReportQueryError, resolveParams } from './query-params.js';
import { REPORT_QUERIES, REPORT_QUERY_NAMES } from './queries.js';

/** The seed table's analyst query (issue 2), which must run unchanged on SQL Server. */
const REFERENCE = `SELECT event_timestamp, user_id, client_ip, error_details, swarm_node
FROM dbo.security_audit_events
WHERE event_type = 'WEBAUTHN_AUTH_FAILURE'
  AND event_timestamp >= DATEADD(day, -90, SYSUTCDATETIME())
ORDER BY event_timestamp DESC;`;

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('report queries', () => {
  it('renders failures-by-user-ip on SQL Server as the reference query', () => {
    expect(squash(renderQuery(REPORT_QUERIES['failures-by-user-ip'], 'mssql'))).toBe(squash(REFERENCE));
  });

  it('names integer columns among each query\'s columns', () => {
    for (const q of Object.values(REPORT_QUERIES)) for (const c of q.integerColumns) expect(q.columns, q.name).toContain(c);
    expect(REPORT_QUERIES['container-shells'].integerColumns).toEqual(['shells', 'containers', 'users', 'unresolved']);
  });

  it('writes parameters in as integers', () => {
    const sql = renderQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'postgres', { days: 7, window_minutes: 3, min_failures: 20 });
    expect(sql).toContain('make_interval(hours => 24 * 7)');
    expect(sql).toContain('make_interval(mins => 3)');
    expect(sql).toContain('HAVING COUNT(*) >= 20');
    expect(sql).not.toMatch(/:(days|window_minutes|min_failures)\b/);
  });

  it('binds $n placeholders for PostgreSQL, reusing the number of a repeated name', () => {
    const b = bindQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'postgres', { days: 30 });
    expect(b.text).toContain('make_interval(hours => 24 * $1)');
    // min_failures first appears in the LEAD that finds the bursts, then in HAVING: one number.
    expect(b.text).toContain('LEAD(event_timestamp, $2 - 1)');
    expect(b.text).toContain('make_interval(mins => $3)');
    expect(b.text).toContain('HAVING COUNT(*) >= $2');
    expect(b.positional).toEqual([30, 5, 10]);
  });

  it('binds @name placeholders for SQL Server and SQLite', () => {
    for (const dialect of ['mssql', 'sqlite'] as const) {
      const b = bindQuery(REPORT_QUERIES['container-shells'], dialect, { days: 3 });
      expect(b.text).toContain('@days');
      expect(b.named).toEqual({ days: 3 });
    }
  });

  it('leaves PostgreSQL casts alone', () => {
    const b = bindQuery(REPORT_QUERIES['counter-regressions'], 'postgres');
    expect(b.text).toContain("::jsonb #>> '{webauthn,stored_sign_count}')");
    // The shell reports read several fields per row: event_json is cast once, in the LATERAL subquery.
    for (const name of ['container-shell-sessions', 'container-shells'] as const) {
      const shells = bindQuery(REPORT_QUERIES[name], 'postgres').text;
      expect(shells.match(/::jsonb/g), name).toHaveLength(1);
      expect(shells, name).toContain('::jsonb AS doc OFFSET 0) j');
    }
    expect(b.positional).toEqual([90]);
  });

  it('rejects values that are not integers in range, and unknown names', () => {
    const q = REPORT_QUERIES['failures-by-user-ip'];
    for (const days of [0, -5, 1.5, Number.NaN, 36_501]) {
      expect(() => resolveParams(q, { days })).toThrow(expect.objectContaining({ code: 'REPORT_PARAM_INVALID' }));
    }
    expect(() => resolveParams(q, { dayz: 3 })).toThrow(expect.objectContaining({ code: 'REPORT_PARAM_UNKNOWN' }));
    expect(() => renderQuery(q, 'mssql', { days: '1; DROP TABLE x' as unknown as number })).toThrow(ReportQueryError);
  });

  it('refuses a dialect it has no SQL for with REPORT_DIALECT_UNKNOWN, in bindQuery and renderQuery alike', () => {
    const q = REPORT_QUERIES['failures-by-user-ip'];
    const unknown = (shown: string, hint = '') =>
      expect.objectContaining({
        name: 'ReportQueryError',
        code: 'REPORT_DIALECT_UNKNOWN',
        message: `failures-by-user-ip: unknown SQL dialect ${shown}: expected one of mssql, postgres, sqlite${hint}`,
      });
    expect(() => bindQuery(q, 'oracle' as never, { days: 3 })).toThrow(unknown('"oracle"'));
    expect(() => renderQuery(q, 'oracle' as never)).toThrow(unknown('"oracle"'));
    expect(() => bindQuery(q, 'constructor' as never)).toThrow(unknown('"constructor"'));
    expect(() => bindQuery(q, undefined as never)).toThrow(unknown('undefined'));
    expect(() => renderQuery(q, 'mssql-babelfish' as never)).toThrow(unknown('"mssql-babelfish"', '; Babelfish is "mssql" with { babelfish: true }'));
  });

  it('refuses a query name where the query belongs, and values that are not an object, with ReportQueryError', () => {
    expect(() => bindQuery('failures-by-user-ip' as never, 'postgres')).toThrow(
      expect.objectContaining({ code: 'REPORT_QUERY_UNKNOWN', message: 'expected a report query (getReportQuery(name)), got string' }),
    );
    expect(() => resolveParams(REPORT_QUERIES['failures-by-user-ip'], null as never)).toThrow(
      expect.objectContaining({ code: 'REPORT_PARAM_INVALID', message: 'failures-by-user-ip: parameter values must be an object such as { days: 30 }, got null' }),
    );
    expect(() => getReportQuery(5 as never)).toThrow(expect.objectContaining({ code: 'REPORT_QUERY_UNKNOWN', message: expect.stringMatching(/^unknown report query number;/) }));
  });

  it('looks queries up by name with a typed error for unknown ones', () => {
    for (const name of REPORT_QUERY_NAMES) expect(getReportQuery(name).name).toBe(name);
    expect(() => getReportQuery('drop-everything')).toThrow(expect.objectContaining({ code: 'REPORT_QUERY_UNKNOWN' }));
  });

  it('declares every :param it uses, and uses every param it declares', () => {
    for (const q of Object.values(REPORT_QUERIES)) {
      for (const sql of Object.values(q.sql)) {
        const used = new Set([...sql.matchAll(/(?<![:\w]):([a-z_]+)\b/g)].map((m) => m[1]));
        expect([...used].sort()).toEqual(q.params.map((p) => p.name).sort());
      }
    }
  });

  it('uses no MERGE (Babelfish runs the SQL Server text)', () => {
    for (const q of Object.values(REPORT_QUERIES)) expect(q.sql.mssql).not.toMatch(/\bMERGE\b/i);
  });
});
