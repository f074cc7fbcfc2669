import type { MssqlDriver, MssqlPool, MssqlRequest, MssqlTable, MssqlTransaction, MssqlType } from '../../src/adapters/mssql/mssql-driver.js';
import { CREATE_STAGE, INSERT_FROM_STAGE, STAGE } from '../../src/adapters/mssql/mssql-sql.js';

/** One thing the adapter did, as recorded by the fake driver. */
export type FakeCall =
  | { op: 'connect'; config: Record<string, unknown> }
  | { op: 'pool.close' }
  | { op: 'begin' | 'commit' | 'rollback' }
  | { op: 'query' | 'batch'; sql: string; params: { name: string; type: MssqlType; value: unknown }[]; inTx: boolean }
  | { op: 'bulk'; table: FakeTable; inTx: boolean };

/** A recorded `sql.Table`. */
export interface FakeTable extends MssqlTable {
  name: string;
  cols: { name: string; type: MssqlType; nullable: boolean }[];
  data: unknown[][];
}

/** How the fake answers: a function of the SQL text (return a result, or throw). */
export type Responder = (sql: string, call: number) => { recordset?: Record<string, unknown>[]; rowsAffected?: number[] } | undefined;

/** Messages of the errors {@link lostConnectionError} builds, as Node and tedious word them. */
const LOST_MESSAGES = {
  ECONNRESET: 'read ECONNRESET',
  EPIPE: 'write EPIPE',
  ECLOSE: 'Connection closed before request completed.',
  EINVALIDSTATE: 'Requests can only be made in the LoggedIn state, not the Final state',
} as const;

/**
 * The error mssql 12 gives a request whose connection is lost under it, for a
 * responder to throw. tedious 19 hands the request in flight the socket's own
 * error (lib/connection.js, SentClientRequest's socketError): ECONNRESET when
 * the server reset or ended the connection, EPIPE when it was written to
 * after the server closed it; for a close without an error, its RequestError
 * ECLOSE (cleanupConnection). A request made after the connection closed
 * between two requests of a transaction gets EINVALIDSTATE (makeRequest: not
 * in the LoggedIn state). mssql wraps it in a RequestError keeping the
 * code (lib/error/mssql-error.js), and, as the error has no `info`, puts the
 * code in `number` too (lib/error/request-error.js).
 */
export function lostConnectionError(code: keyof typeof LOST_MESSAGES): Error & { code: string; number: string; originalError: Error } {
  const original = Object.assign(new Error(LOST_MESSAGES[code]), { code });
  return Object.assign(new Error(original.message), { name: 'RequestError', code, number: code, originalError: original });
}

/** Options of {@link fakeMssql}. */
export interface FakeMssqlOptions {
  /** Called by each pool's connect() (after it is recorded) with the pool's config: throw to fail that connect, as a server refusing the login or not answering would. */
  connect?: (config: Record<string, unknown>) => void;
}

/**
 * A recording fake of the small mssql surface the adapter uses (mssql-driver.ts).
 * It executes nothing: SQL Server cannot run on the CI machine, so these unit
 * tests check WHAT the adapter sends; the MSSQL_URL suite checks it runs.
 * One thing it keeps is how many rows were staged since the last
 * CREATE_STAGE: unless `respond` says otherwise, INSERT_FROM_STAGE answers
 * that they all went in (an empty database), in its `went` column. Another
 * is whether a pool was closed: a transaction or request on a closed pool
 * fails with ECONNCLOSED, as mssql's does ("Connection is closed.").
 */
export function fakeMssql(respond: Responder = () => undefined, opts: FakeMssqlOptions = {}): { driver: MssqlDriver; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  let n = 0;
  let staged = 0;
  /** What `respond` says, or the default answer to the staging statements. */
  const answer = (sql: string) => {
    const r = respond(sql, n++);
    if (sql === CREATE_STAGE) staged = 0;
    if (sql.startsWith(`INSERT INTO ${STAGE} `)) staged += sql.split('), (').length;
    return r ?? (sql === INSERT_FROM_STAGE ? { recordset: [{ went: staged }], rowsAffected: [staged, 1] } : undefined);
  };
  const type = (name: string) => (length?: number): MssqlType => ({ type: name, ...(length !== undefined ? { length } : {}) });
  const closedError = () => Object.assign(new Error('Connection is closed.'), { code: 'ECONNCLOSED' });
  class Pool implements MssqlPool {
    connected = false;
    closed = false;
    constructor(private readonly config: Record<string, unknown>) {}
    async connect() {
      calls.push({ op: 'connect', config: this.config });
      opts.connect?.(this.config);
      this.connected = true;
      return this;
    }
    async close() {
      calls.push({ op: 'pool.close' });
      this.connected = false;
      this.closed = true;
    }
    on() {
      return this;
    }
  }
  class Transaction implements MssqlTransaction {
    constructor(readonly pool: Pool) {}
    async begin() {
      if (this.pool.closed) throw closedError();
      calls.push({ op: 'begin' });
      return this;
    }
    async commit() {
      calls.push({ op: 'commit' });
    }
    async rollback() {
      calls.push({ op: 'rollback' });
    }
  }
  class Request implements MssqlRequest {
    private params: { name: string; type: MssqlType; value: unknown }[] = [];
    constructor(private readonly parent: Pool | Transaction) {}
    private check() {
      if ((this.parent instanceof Transaction ? this.parent.pool : this.parent).closed) throw closedError();
    }
    input(name: string, t: MssqlType, value: unknown) {
      this.params.push({ name, type: t, value });
      return this;
    }
    async query(sql: string) {
      this.check();
      calls.push({ op: 'query', sql, params: this.params, inTx: this.parent instanceof Transaction });
      const r = answer(sql);
      return { recordset: r?.recordset ?? [], rowsAffected: r?.rowsAffected ?? [0] };
    }
    async batch(sql: string) {
      this.check();
      calls.push({ op: 'batch', sql, params: this.params, inTx: this.parent instanceof Transaction });
      const r = answer(sql);
      return { recordset: r?.recordset ?? [], rowsAffected: r?.rowsAffected ?? [0] };
    }
    async bulk(table: MssqlTable) {
      this.check();
      calls.push({ op: 'bulk', table: table as FakeTable, inTx: this.parent instanceof Transaction });
      if ((table as FakeTable).name === STAGE) staged += (table as FakeTable).data.length;
      return { rowsAffected: (table as FakeTable).data.length };
    }
  }
  class Table implements FakeTable {
    create = true;
    cols: FakeTable['cols'] = [];
    data: unknown[][] = [];
    columns = { add: (name: string, t: MssqlType, o: { nullable: boolean }) => this.cols.push({ name, type: t, nullable: o.nullable }) };
    rows = { add: (...values: unknown[]) => this.data.push(values) };
    constructor(readonly name: string) {}
  }
  const driver: MssqlDriver = {
    ConnectionPool: Pool as unknown as MssqlDriver['ConnectionPool'],
    Transaction: Transaction as unknown as MssqlDriver['Transaction'],
    Request: Request as unknown as MssqlDriver['Request'],
    Table: Table as unknown as MssqlDriver['Table'],
    NVarChar: type('NVarChar'),
    VarChar: type('VarChar'),
    Char: type('Char'),
    DateTime2: type('DateTime2'),
    BigInt: type('BigInt'),
    SmallInt: type('SmallInt'),
    Int: type('Int'),
    MAX: 65535,
  };
  return { driver, calls };
}
