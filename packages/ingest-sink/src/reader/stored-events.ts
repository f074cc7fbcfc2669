import { CHAIN_EVENT_TYPES, COLUMNS, EVENTS_TABLE, type Dialect } from '@audit-trail/schema';
import { SinkError } from '../sink/errors.js';
import type { AuditReader, ReadQuery, Row } from './reader.js';

/** One stored event: its surrogate id, the JSON exactly as received, and every column as stored. */
export interface StoredEvent {
  id: number;
  eventJson: string;
  columns: Row;
}

/**
 * The order {@link readStoredEvents} reads in: `"id"`, insertion order; or
 * `"chain"`, every chain's rows together in seq order (`ORDER BY chain_id,
 * seq` on the unique index), then the rows outside chains (and any with a
 * chain but no seq) in insertion order, which is what lets a verifier judge chain after chain
 * (`verifyChainStream` with `order: "chain"`).
 */
export type StoredOrder = 'id' | 'chain';

const columnList = COLUMNS.map((c) => c.name).join(', ');

/** The SQL Server types of the keyset columns (CHAR(36), BIGINT), as the DDL declares them. */
const MSSQL_TYPE = Object.fromEntries(['chain_id', 'seq'].map((n) => [n, COLUMNS.find((c) => c.name === n)!.type.mssql])) as Record<'chain_id' | 'seq', string>;

/** Where one page starts: after this id, or after this chain position. */
type Key = { id: number } | { chainId: unknown; seq: unknown } | undefined;

/**
 * One page's query. Keyset pagination (stable while rows are being added):
 * on the primary key, or on (chain_id, seq), whose unique index serves it;
 * SQL Server has no row-value comparison, so it spells that one out.
 */
function pageQuery(dialect: Dialect, pageSize: number, phase: 'chains' | 'rest' | 'all', key: Key): ReadQuery {
  const table = dialect === 'mssql' ? `dbo.${EVENTS_TABLE}` : EVENTS_TABLE;
  const p = (name: string, n: number) => (dialect === 'postgres' ? `$${n}` : `@${name}`);
  const where: string[] = [];
  // Parameters only where the text has them: a driver may refuse values it has no place for.
  let params: Pick<ReadQuery, 'positional' | 'named'> = {};
  if (phase === 'chains') {
    // Both keys: a row with a chain and no seq (only a direct write makes
    // one) ending a page made the next page's keyset NULL, and SQLite, which
    // sorts NULL first, then skipped the rest of that chain unread (found by
    // a probe). Such rows are read in the rest phase.
    where.push('chain_id IS NOT NULL AND seq IS NOT NULL');
    if (key && 'chainId' in key) {
      // Typed as the columns are. On SQL Server an untyped string parameter
      // goes as NVARCHAR, which ranks above chain_id's CHAR(36): the column
      // was converted to it, and under a SQL_* collation that turns the seek
      // on (chain_id, seq) into a scan of the whole index for every page
      // (found by a review; data type precedence,
      // https://learn.microsoft.com/en-us/sql/t-sql/data-types/data-type-precedence-transact-sql,
      // and https://learn.microsoft.com/en-us/troubleshoot/sql/database-engine/performance/sql-server-performance-issue-implicit-conversion).
      const c = dialect === 'postgres' ? `${p('c', 1)}::uuid` : dialect === 'mssql' ? `CAST(${p('c', 1)} AS ${MSSQL_TYPE.chain_id})` : p('c', 1);
      const s = dialect === 'postgres' ? `${p('s', 2)}::bigint` : dialect === 'mssql' ? `CAST(${p('s', 2)} AS ${MSSQL_TYPE.seq})` : p('s', 2);
      where.push(dialect === 'mssql' ? `(chain_id > ${c} OR (chain_id = ${c} AND seq > ${s}))` : `(chain_id, seq) > (${c}, ${s})`);
      params = { positional: [key.chainId, key.seq], named: { c: key.chainId, s: key.seq } };
    }
  } else {
    if (phase === 'rest') where.push('(chain_id IS NULL OR seq IS NULL)');
    const after = key && 'id' in key ? key.id : 0;
    where.push(`id > ${p('after', 1)}`);
    params = { positional: [after], named: { after } };
  }
  const order = phase === 'chains' ? 'chain_id, seq' : 'id';
  const text =
    dialect === 'mssql'
      ? `SELECT TOP (${pageSize}) ${columnList} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order}`
      : `SELECT ${columnList} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${pageSize}`;
  return { text, ...params };
}

/**
 * Reads every row of `security_audit_events` a page at a time, so a
 * verifier can check tables larger than memory allows at once: in
 * insertion order, or chain after chain ({@link StoredOrder}).
 */
export async function* readStoredEvents(reader: Pick<AuditReader, 'dialect' | 'query'>, pageSize = 5000, order: StoredOrder = 'id'): AsyncGenerator<StoredEvent> {
  // The page size is written into the SQL text (LIMIT/TOP take no parameter
  // everywhere), so it must be a number; below 1 the loop would never end.
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new SinkError('SINK_BAD_OPTION', `pageSize must be a whole number from 1 (got ${typeof pageSize === 'number' ? pageSize : typeof pageSize})`);
  if (order !== 'id' && order !== 'chain') throw new SinkError('SINK_BAD_OPTION', `order must be "id" or "chain" (got ${JSON.stringify(String(order).slice(0, 20))})`);
  for (const phase of order === 'chain' ? (['chains', 'rest'] as const) : (['all'] as const)) {
    let key: Key;
    for (;;) {
      const rows = await reader.query(pageQuery(reader.dialect, pageSize, phase, key));
      for (const row of rows) {
        const id = Number(row.id);
        // A SQLite BLOB stays bytes: as text it sorts before every BLOB, so a
        // page ending on BLOB chain_ids (a direct write) began the next page
        // before them again, and verify --db read the same rows for ever (found by a probe).
        key = phase === 'chains' ? { chainId: row.chain_id instanceof Uint8Array ? row.chain_id : String(row.chain_id), seq: row.seq } : { id };
        yield { id, eventJson: String(row.event_json), columns: row };
      }
      if (rows.length < pageSize) break;
    }
  }
}

/**
 * The newest `event_timestamp` and `ingested_at` stored (undefined for an
 * empty table), and the newest `event_timestamp` of a record a signing
 * logger dated itself (a chain's open, checkpoint or close): any other
 * event's time may be its caller's claim, and one dated ahead would make
 * every open chain's last checkpoint look overdue.
 */
export async function newestStoredTimes(reader: Pick<AuditReader, 'dialect' | 'query'>): Promise<{ event?: Date; mark?: Date; stored?: Date }> {
  const table = reader.dialect === 'mssql' ? `dbo.${EVENTS_TABLE}` : EVENTS_TABLE;
  const marks = `event_type IN (${CHAIN_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}) AND chain_id IS NOT NULL`;
  const [row] = await reader.query({
    text: `SELECT MAX(event_timestamp) AS newest_event, (SELECT MAX(event_timestamp) FROM ${table} WHERE ${marks}) AS newest_mark, MAX(ingested_at) AS newest_stored FROM ${table}`,
  });
  const asDate = (v: unknown) => {
    if (v === null || v === undefined) return undefined;
    const d = v instanceof Date ? v : new Date(String(v));
    return Number.isNaN(d.getTime()) ? undefined : d;
  };
  const event = asDate(row?.newest_event);
  const mark = asDate(row?.newest_mark);
  const stored = asDate(row?.newest_stored);
  return { ...(event ? { event } : {}), ...(mark ? { mark } : {}), ...(stored ? { stored } : {}) };
}
