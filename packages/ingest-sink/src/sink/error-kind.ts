/**
 * True when a database error is about the data of the batch (it will fail
 * again however often it is retried) rather than about reaching the server.
 * Such a batch is split so the offending row goes to the rejects table and
 * its batch-mates commit; everything else is retried with backoff.
 * PostgreSQL SQLSTATE classes 22 (data exception) and 23 (integrity);
 * SQLite constraint/mismatch/toobig; SQL Server 8152/2628 (truncation),
 * 245/241/8114 (conversion), 515 (NULL), 547 (constraint).
 */
export function isDataError(err: unknown): boolean {
  const e = err as { dbCode?: unknown; cause?: { code?: unknown; number?: unknown } };
  const code = e.dbCode ?? e.cause?.code;
  if (typeof code === 'string') {
    if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
    if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) return true;
  }
  const num = e.cause?.number;
  return typeof num === 'number' && [8152, 2628, 245, 241, 8114, 515, 547].includes(num);
}
