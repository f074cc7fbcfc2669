import { describe, expect, it } from 'vitest';
import { explainMissingColumn, missingColumn } from './missing-column.js';

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
