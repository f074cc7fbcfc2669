/**
 * The part of the `mssql` package the adapter calls. Kept this small on
 * purpose: the unit tests drive the adapter with a recording fake of exactly
 * this surface (no SQL Server can run on the CI machine).
 */
export interface MssqlType {
  readonly [k: string]: unknown;
}
/** A `sql.Table` (bulk load). */
export interface MssqlTable {
  create: boolean;
  columns: { add(name: string, type: MssqlType, opts: { nullable: boolean }): unknown };
  rows: { add(...values: unknown[]): unknown };
}
/** What a request resolves with. */
export interface MssqlResult {
  recordset?: Record<string, unknown>[];
  rowsAffected: number[];
}
/** A `sql.Request`. */
export interface MssqlRequest {
  input(name: string, type: MssqlType, value: unknown): MssqlRequest;
  /** Parameterised statement (tedious execSql = sp_executesql). */
  query(sql: string): Promise<MssqlResult>;
  /**
   * Plain SQL batch (tedious execSqlBatch). Needed for the staging table: a
   * #temp table created inside sp_executesql is dropped when that call ends.
   */
  batch(sql: string): Promise<MssqlResult>;
  bulk(table: MssqlTable): Promise<{ rowsAffected: number }>;
}
/** A `sql.Transaction`. */
export interface MssqlTransaction {
  begin(): Promise<unknown>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
/** A `sql.ConnectionPool`. */
export interface MssqlPool {
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  on(event: 'error', fn: (err: Error) => void): unknown;
  readonly connected: boolean;
}
/** The `mssql` module as the adapter sees it. */
export interface MssqlDriver {
  ConnectionPool: new (config: Record<string, unknown>) => MssqlPool;
  Transaction: new (pool: MssqlPool) => MssqlTransaction;
  Request: new (parent: MssqlPool | MssqlTransaction) => MssqlRequest;
  Table: new (name: string) => MssqlTable;
  NVarChar(length?: number): MssqlType;
  VarChar(length?: number): MssqlType;
  Char(length?: number): MssqlType;
  DateTime2(scale?: number): MssqlType;
  BigInt: MssqlType | (() => MssqlType);
  SmallInt: MssqlType | (() => MssqlType);
  Int: MssqlType | (() => MssqlType);
  MAX: number;
}
