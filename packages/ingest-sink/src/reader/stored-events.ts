import { COLUMNS, EVENTS_TABLE, type Dialect } from '@audit-trail/schema';
import type { AuditReader, Row } from './reader.js';

/** One stored event: its surrogate id, the JSON exactly as received, and every column as stored. */
export interface StoredEvent {
  id: number;
  eventJson: string;
  columns: Row;
}

const columnList = COLUMNS.map((c) => c.name).join(', ');

function pageSql(dialect: Dialect, pageSize: number): string {
  const table = dialect === 'mssql' ? `dbo.${EVENTS_TABLE}` : EVENTS_TABLE;
  // Keyset pagination on the primary key: stable while rows are being added.
  if (dialect === 'mssql') return `SELECT TOP (${pageSize}) ${columnList} FROM ${table} WHERE id > @after ORDER BY id`;
  const after = dialect === 'postgres' ? '$1' : '@after';
  return `SELECT ${columnList} FROM ${table} WHERE id > ${after} ORDER BY id LIMIT ${pageSize}`;
}

/**
 * Reads every row of `security_audit_events` in insertion order, a page at a
 * time, so a verifier can check tables larger than memory allows at once.
 */
export async function* readStoredEvents(reader: AuditReader, pageSize = 5000): AsyncGenerator<StoredEvent> {
  const text = pageSql(reader.dialect, pageSize);
  let after = 0;
  for (;;) {
    const rows = await reader.query({ text, positional: [after], named: { after } });
    for (const row of rows) {
      const id = Number(row.id);
      after = id;
      yield { id, eventJson: String(row.event_json), columns: row };
    }
    if (rows.length < pageSize) return;
  }
}
