import { describe, expect, it } from 'vitest';
import { explainMissingColumn, missingColumn, missingTable } from './missing-column.js';

describe('missingColumn', () => {
  it('reads the column from each engine\'s message, only for columns of the audit tables', () => {
    const cases: [string, string | undefined][] = [
      ['no such column: k8s_node', 'k8s_node'],
      ['no such column: e.k8s_node', 'k8s_node'],
      ['sqlite: table security_audit_events has no column named k8s_node', 'k8s_node'],
      ['column "k8s_node" does not exist', 'k8s_node'],
      ['postgres: column "k8s_node" of relation "security_audit_events" does not exist', 'k8s_node'],
      ['column e.k8s_node does not exist', 'k8s_node'],
      ["Invalid column name 'reject_key'.", 'reject_key'],
      // Not a column of ours, or not a missing column.
      ['no such column: nickname', undefined],
      ['relation "security_audit_events" does not exist', undefined],
      ['connection refused', undefined],
    ];
    for (const [message, column] of cases) expect(missingColumn(new Error(message)), message).toBe(column);
    expect(missingColumn(undefined)).toBeUndefined();
    expect(missingColumn({ message: 42 })).toBeUndefined();
  });

  it('turns such an error into SINK_NOT_MIGRATED with what to run, the driver\'s error as cause; others pass through', () => {
    const driver = new Error('no such column: k8s_node');
    const explained = explainMissingColumn(driver) as Error & { code: string; cause: unknown };
    expect(explained).toMatchObject({ code: 'SINK_NOT_MIGRATED', cause: driver });
    expect(explained.message).toContain('audit-trail migrate --db URL');
    const other = new Error('connection refused');
    expect(explainMissingColumn(other)).toBe(other);
  });
});

describe('missingTable', () => {
  it('reads the table from each engine\'s message, only for the audit tables, and not from a missing column\'s message', () => {
    const cases: [string, string | undefined][] = [
      ['no such table: security_audit_events', 'security_audit_events'],
      ['no such table: main.security_audit_rejects', 'security_audit_rejects'],
      ['relation "security_audit_events" does not exist', 'security_audit_events'],
      ['relation "public.security_audit_events" does not exist', 'security_audit_events'],
      ["Invalid object name 'dbo.security_audit_events'.", 'security_audit_events'],
      ["Invalid object name 'security_audit_rejects'.", 'security_audit_rejects'],
      // A missing column, a table not of ours, another error.
      ['column "k8s_node" of relation "security_audit_events" does not exist', undefined],
      ['no such table: users', undefined],
      ["Invalid object name 'dbo.users'.", undefined],
      ['connection refused', undefined],
    ];
    for (const [message, table] of cases) expect(missingTable(new Error(message)), message).toBe(table);
    expect(missingTable(undefined)).toBeUndefined();
  });

  it('turns a missing audit table (never migrated) into SINK_NOT_MIGRATED saying to run migrate, on SQLite, PostgreSQL and SQL Server (Msg 208)', () => {
    for (const message of ['no such table: security_audit_events', 'relation "security_audit_events" does not exist', "Invalid object name 'dbo.security_audit_events'."]) {
      const driver = new Error(message);
      const explained = explainMissingColumn(driver) as Error & { code: string; cause: unknown };
      expect(explained, message).toMatchObject({ code: 'SINK_NOT_MIGRATED', cause: driver });
      expect(explained.message).toBe('the audit table security_audit_events does not exist in this database: create the audit tables once with `audit-trail migrate --db URL`, then try again');
    }
    // A missing column of a table that exists stays a missing column.
    expect((explainMissingColumn(new Error('column "k8s_node" of relation "security_audit_events" does not exist')) as Error).message).toContain('lack the column k8s_node');
  });
});
