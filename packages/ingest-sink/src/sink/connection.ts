import { SinkError } from './errors.js';

/** SQLite file database through better-sqlite3 (the embedded default). */
export interface SqliteConnection {
  dialect: 'sqlite';
  /** Database file; `:memory:` is refused (the spool would outlive the data). */
  filename: string;
  /**
   * Run the database writes in a worker thread (default true), so that the
   * synchronous better-sqlite3 calls never block the event loop that
   * receivers ack on (better-sqlite3 docs/threads.md).
   */
  worker?: boolean | undefined;
  /** SQLITE_BUSY wait (ms) when another process holds the write lock. Default 5000. */
  busyTimeoutMs?: number | undefined;
}

/** PostgreSQL through pg. Every other key is passed to `new pg.Pool(...)` unchanged. */
export interface PostgresConnection {
  dialect: 'postgres';
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  ssl?: boolean | Record<string, unknown> | undefined;
  /**
   * How batches are loaded: `copy` (COPY into a staging table; needs the
   * pg-copy-streams package), `unnest` (one array parameter per column), or
   * `auto` (default: copy when pg-copy-streams is installed).
   */
  load?: 'auto' | 'copy' | 'unnest' | undefined;
  /** Pool size (pg default 10; the sink uses one connection per batch in flight). */
  max?: number | undefined;
  connectionTimeoutMillis?: number | undefined;
  idleTimeoutMillis?: number | undefined;
  [driverOption: string]: unknown;
}

/** SQL Server (or Babelfish for PostgreSQL) through mssql. `config` goes to `new sql.ConnectionPool(config)`. */
export interface MssqlConnection {
  dialect: 'mssql';
  /**
   * The mssql config: `server`, `port`, `user`, `password`, `database`,
   * `options.instanceName`, `options.encrypt`, `options.trustServerCertificate`,
   * `pool.max`/`min`/`idleTimeoutMillis`, `authentication` (Azure AD)...
   */
  config: Record<string, unknown> & { server: string; options?: Record<string, unknown> | undefined; pool?: Record<string, unknown> | undefined };
  /**
   * Babelfish mode (no IGNORE_DUP_KEY in DDL). 'auto' (default) asks the
   * server once connected: Babelfish when `SERVERPROPERTY('babelfish')` is 1
   * or `@@VERSION` starts with "Babelfish" (mssql-sql.ts DETECT_BABELFISH);
   * `true` or `false` is used as given, without asking.
   */
  babelfish?: boolean | 'auto' | undefined;
  /**
   * How a batch reaches the staging table: `bulk` (TDS bulk load, default) or
   * `values` (parameterised multi-row INSERTs within 2100 parameters), for
   * servers or proxies without bulk load.
   */
  stagingLoad?: 'bulk' | 'values' | undefined;
}

/** Where the sink writes. */
export type Connection = SqliteConnection | PostgresConnection | MssqlConnection;

/**
 * Refuses a PostgreSQL connection whose `user` or `password` pg cannot send:
 * anything but a string (or, for the password, the function pg calls for one).
 * pg writes them into the startup and password messages, where a number
 * (`password: 12345` from a YAML or JSON configuration) throws inside its
 * socket handler: an uncaught exception that ended the process, its message
 * printing the password ("Received type number (12345)"; found by a probe).
 * The message here names the type only.
 */
export function checkPostgresCredentials(conn: PostgresConnection): void {
  for (const key of ['user', 'password'] as const) {
    const v: unknown = conn[key];
    // null, as undefined, is not given: pg falls back to PGUSER / PGPASSWORD (an empty YAML value).
    if (v === undefined || v === null || typeof v === 'string' || (key === 'password' && typeof v === 'function')) continue;
    throw new SinkError('SINK_BAD_OPTION', `connection.${key} must be a string${key === 'password' ? ' (or a function returning one, as pg takes)' : ''}, got ${Array.isArray(v) ? 'an array' : `a ${typeof v}`}`);
  }
}

/** The default database URL: a SQLite file in the working directory. */
export const DEFAULT_DB_URL = 'sqlite:./audit.db';

/**
 * A boolean URL parameter. Anything but the usual spellings is refused: a
 * misspelt `encrypt=ture` read as false would turn encryption off, where
 * leaving the parameter out keeps the driver's default (on).
 */
function bool(name: string, v: string | null): boolean | undefined {
  if (v === null) return undefined;
  const t = v.toLowerCase();
  if (t === '' || t === '1' || t === 'true' || t === 'yes') return true;
  if (t === '0' || t === 'false' || t === 'no') return false;
  throw new SinkError('SINK_BAD_URL', `${name} must be true or false (got ${JSON.stringify(v.slice(0, 20))})`);
}

/** A whole-number URL parameter of at least `min`. */
function whole(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new SinkError('SINK_BAD_URL', `${name} must be a whole number from ${min} (got ${JSON.stringify(v.slice(0, 20))})`);
  return n;
}

/** How a server database URL starts: its scheme, then `//` and the authority, at the very beginning. */
const SERVER_URL_START = /^(?:postgres|postgresql|mssql|sqlserver):\/\//i;

/** decodeURIComponent, with a malformed %-escape refused as a bad URL instead of a URIError. */
function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new SinkError('SINK_BAD_URL', `the ${what} of the database URL holds a malformed %-escape (write % as %25)`);
  }
}

/** The parameters an mssql:// URL takes (aliases included), as written in messages. */
const MSSQL_URL_PARAMS = ['encrypt', 'trustServerCertificate', 'instanceName', 'instance', 'pool.max', 'pool.min', 'pool.idleTimeoutMillis', 'poolMax', 'poolMin', 'poolIdleTimeoutMillis', 'connectionTimeout', 'requestTimeout', 'babelfish', 'stagingLoad'];
const MSSQL_URL_PARAM_BY_LOWER = new Map(MSSQL_URL_PARAMS.map((name) => [name.toLowerCase(), name]));
/** The setting each alias gives: two names of one setting are one setting given twice. */
const MSSQL_URL_ALIASES: Readonly<Record<string, string>> = { instance: 'instanceName', poolMax: 'pool.max', poolMin: 'pool.min', poolIdleTimeoutMillis: 'pool.idleTimeoutMillis' };

/**
 * An mssql:// URL's parameters under their own spelling. They are matched
 * whatever their case, as the ADO.NET connection string keywords users copy
 * them from are (`TrustServerCertificate=True`), and one not known is
 * refused: mssql reads none of them itself, and `instancename=X` was
 * dropped unsaid, connecting to the default instance on port 1433 instead
 * (found by a probe).
 */
function mssqlParams(url: URL): URLSearchParams {
  const out = new URLSearchParams();
  const settings = new Set<string>();
  for (const [given, value] of url.searchParams) {
    const name = MSSQL_URL_PARAM_BY_LOWER.get(given.toLowerCase());
    if (name === undefined) throw new SinkError('SINK_BAD_URL', `the database URL has a parameter mssql does not take here: ${JSON.stringify(given.slice(0, 40)).slice(1, -1)}; known: ${MSSQL_URL_PARAMS.join(', ')} (any case); other driver options go in the connection object (createSink({ connection: { dialect: 'mssql', config } }))`);
    // By the setting, not the name: `instance=A&instanceName=B` kept B unsaid (found by a review).
    const setting = MSSQL_URL_ALIASES[name] ?? name;
    if (settings.has(setting)) throw new SinkError('SINK_BAD_URL', `the database URL's ${setting} is given twice`);
    settings.add(setting);
    out.set(name, value);
  }
  return out;
}

function parseMssql(url: URL): MssqlConnection {
  const q = mssqlParams(url);
  const [database] = url.pathname.replace(/^\//, '').split('/');
  const options: Record<string, unknown> = {};
  const encrypt = bool('encrypt', q.get('encrypt'));
  if (encrypt !== undefined) options.encrypt = encrypt;
  const trust = bool('trustServerCertificate', q.get('trustServerCertificate'));
  if (trust !== undefined) options.trustServerCertificate = trust;
  const instance = q.get('instanceName') ?? q.get('instance');
  if (instance) {
    // With an instance name, mssql drops the port (lib/tedious/connection-pool.js: "if
    // (cfg.options.instanceName) delete cfg.options.port") and tedious asks SQL Server Browser
    // (UDP 1434) for the instance's port: the port written in the URL would be silently ignored.
    if (url.port) {
      const param = q.has('instanceName') ? 'instanceName' : 'instance';
      throw new SinkError('SINK_BAD_URL', `the database URL sets both a port (${url.port}) and ${param}=${JSON.stringify(instance.slice(0, 40))}: with an instance name, mssql ignores the port and asks SQL Server Browser (UDP 1434) for it; give the port alone to connect to it directly, or ${param} alone`);
    }
    options.instanceName = instance;
  }
  // An IPv6 literal without the brackets the URL needs around it (url.hostname keeps them):
  // tedious resolves the server with dns.lookup, which does not find "[::1]".
  const server = decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host');
  // `host%5Cname` is the object form's server `host\name`, whose instance mssql splits off as it
  // does everywhere (lib/base/connection-pool.js), dropping the port too: refused beside a port,
  // as instanceName= is (it was accepted, and the port silently ignored; found by a probe).
  // Port 0 is no port mssql connects to: it reads it as its default (`config.port || 1433`).
  if (url.port === '0') throw new SinkError('SINK_BAD_URL', 'the database URL names port 0: mssql would connect to 1433 instead; give the server\'s port, or none for 1433');
  const hostInstance = /^.*\\(.*)$/.exec(server)?.[1];
  // mssql sets instanceName from the host over the one given (lib/base/connection-pool.js): not guessed between.
  if (hostInstance && instance) throw new SinkError('SINK_BAD_URL', 'the database URL\'s instanceName is given twice: in its host (host%5Cname) and as a parameter');
  if (hostInstance && url.port) {
    throw new SinkError('SINK_BAD_URL', `the database URL sets both a port (${url.port}) and an instance name in its host (${JSON.stringify(hostInstance.slice(0, 40))}): with an instance name, mssql ignores the port and asks SQL Server Browser (UDP 1434) for it; give the port alone to connect to it directly, or the instance alone`);
  }
  const pool: Record<string, unknown> = {};
  for (const k of ['max', 'min', 'idleTimeoutMillis'] as const) {
    const v = q.get(`pool.${k}`) ?? q.get(`pool${k[0]!.toUpperCase()}${k.slice(1)}`);
    if (v !== null) pool[k] = whole(`pool.${k}`, v, k === 'max' ? 1 : 0);
  }
  const config: MssqlConnection['config'] = {
    server,
    ...(url.port ? { port: Number(url.port) } : {}),
    ...(url.username ? { user: decode(url.username, 'user') } : {}),
    ...(url.password ? { password: decode(url.password, 'password') } : {}),
    ...(database ? { database: decode(database, 'database name') } : {}),
    options,
    ...(Object.keys(pool).length ? { pool } : {}),
  };
  for (const k of ['connectionTimeout', 'requestTimeout'] as const) {
    const v = q.get(k);
    if (v !== null) config[k] = whole(k, v, 1);
  }
  const bf = q.get('babelfish');
  const stagingLoad = q.get('stagingLoad');
  if (stagingLoad !== null && stagingLoad !== 'values' && stagingLoad !== 'bulk') throw new SinkError('SINK_BAD_URL', `stagingLoad must be values or bulk (got ${JSON.stringify(stagingLoad.slice(0, 20))})`);
  return {
    dialect: 'mssql',
    config,
    babelfish: bf === null || bf === 'auto' ? 'auto' : bool('babelfish', bf)!,
    ...(stagingLoad ? { stagingLoad } : {}),
  };
}

/**
 * The error for a database URL the URL parser refused. A SQL Server named
 * instance written as SQL Server's tools write it, `host\name`, is one: no
 * URL's host may hold a backslash, and "not a database URL" left the user to
 * guess why (found by a probe). The URL is not repeated: it may hold a
 * password.
 */
export function unparsableUrl(url: string): SinkError {
  const authority = /^\s*(?:mssql|sqlserver):\/\/([^/?#]*)/i.exec(url)?.[1];
  if (authority !== undefined && authority.slice(authority.lastIndexOf('@') + 1).includes('\\')) {
    return new SinkError('SINK_BAD_URL', 'a URL\'s host cannot hold a backslash: name the SQL Server instance with ?instanceName= (mssql://user:pass@host/db?instanceName=NAME), or write the backslash as %5C (mssql://user:pass@host%5CNAME/db)');
  }
  return new SinkError('SINK_BAD_URL', 'not a database URL (expected sqlite:, postgres:// or mssql://)');
}

/** Whether `url` is a SQLite URL: `sqlite:` first, in any case. */
export function isSqliteUrl(url: string): boolean {
  return /^sqlite:/i.test(url);
}

/**
 * Parses a database URL: `sqlite:./audit.db` (or `sqlite:/abs/path.db`),
 * `postgres://user@host:5432/db` (`postgresql://` too), `mssql://user:pass@host:1433/db?encrypt=true&trustServerCertificate=true&babelfish=auto`
 * or, for a named instance, `mssql://user:pass@host/db?instanceName=SQLEXPRESS` (a port and an
 * instance name together are refused: mssql would ignore the port); an IPv6 host in brackets,
 * `mssql://[::1]:1433/db` (`sqlserver://` too). A server URL must start with its scheme and `//`
 * (no white space before it, not `postgres:/...`). Throws {@link SinkError} `SINK_BAD_URL` on anything else.
 */
export function parseDbUrl(url: string): Connection {
  if (typeof url !== 'string') throw new SinkError('SINK_BAD_URL', `database URL must be a string, got ${url === null ? 'null' : typeof url}`);
  // The scheme in any case, as the server schemes are (RFC 3986): SQLITE: was refused as "sqlite:" unsupported.
  if (isSqliteUrl(url)) {
    // sqlite://NAME would be read as the path //NAME, which is /NAME at the root of the file system.
    if (/^sqlite:\/\/(?!\/)/i.test(url)) {
      throw new SinkError('SINK_BAD_URL', `a sqlite URL names a file, not a host: write sqlite:./${url.slice('sqlite://'.length).slice(0, 200)} for a file in the working directory, or sqlite:///abs/path.db for an absolute path`);
    }
    const filename = decode(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), 'file name');
    if (!filename) throw new SinkError('SINK_BAD_URL', 'sqlite URL names no file (expected sqlite:./audit.db)');
    if (filename === ':memory:') throw new SinkError('SINK_BAD_URL', 'sqlite::memory: is not durable; name a file');
    return { dialect: 'sqlite', filename };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw unparsableUrl(url);
  }
  const server = ['postgres:', 'postgresql:', 'mssql:', 'sqlserver:'].includes(parsed.protocol);
  if (server && !SERVER_URL_START.test(url)) {
    // The WHATWG parser skips leading white space and takes `postgres:/u:pw@h/db`
    // or `postgres:u:pw@h/db` as a URL with a path and no host; pg-connection-string
    // then connects to localhost without a user (or, after a leading space, to a
    // host named "base"), tedious to no server, and redactUrl, which finds the
    // password after `://`, printed it in `report` errors and `ingest` summaries
    // (found by a probe). The URL itself is not repeated: it holds the password.
    throw new SinkError('SINK_BAD_URL', `a ${parsed.protocol.slice(0, -1)} URL must start with ${parsed.protocol}// and the host (e.g. ${parsed.protocol}//user@host:port/database), with nothing before it`);
  }
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    const load = parsed.searchParams.get('load');
    if (load === null) return { dialect: 'postgres', connectionString: url };
    if (load !== 'auto' && load !== 'copy' && load !== 'unnest') throw new SinkError('SINK_BAD_URL', 'load must be auto, copy or unnest');
    parsed.searchParams.delete('load');
    return { dialect: 'postgres', connectionString: parsed.toString(), load };
  }
  if (parsed.protocol === 'mssql:' || parsed.protocol === 'sqlserver:') return parseMssql(parsed);
  throw new SinkError('SINK_BAD_URL', `unsupported database URL scheme "${parsed.protocol.slice(0, 20)}" (expected sqlite:, postgres:// or mssql://)`);
}

/** A query parameter's name as URLSearchParams reads it (`+` is a space, %-escapes decoded). */
function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The URL with its password replaced by `***`, for logs and messages. As URL
 * parsers do (WHATWG URL, pg's), the authority runs to the first `/`, `?` or
 * `#`, and the user info to its LAST `@`: a raw `@` in a password is part
 * of the password.
 */
export function redactUrl(url: string): string {
  // A server URL as the WHATWG parser reads it too: white space or control
  // characters before the scheme skipped, and the user info right after
  // `postgres:` or `postgres:/` (parseDbUrl refuses those forms, and pg misreads
  // them, but a message may still show one).
  const m = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url) ?? /^[\x00-\x20]*(?:postgres|postgresql|mssql|sqlserver):[/\\]*/i.exec(url);
  if (!m) return url;
  const start = m[0].length;
  const rest = url.slice(start);
  const authority = rest.slice(0, rest.search(/[/?#]|$/));
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  let out = url;
  if (at >= 0 && colon >= 0 && colon < at) out = `${url.slice(0, start + colon + 1)}***${url.slice(start + at)}`;
  else if (at < 0 && colon >= 0 && url.indexOf('@', start + colon) > 0) {
    // A raw `/`, `?` or `#` in the password ends the authority early for a
    // parser; for a message, hide everything up to the `@` that follows.
    out = `${url.slice(0, start + colon + 1)}***${url.slice(url.indexOf('@', start + colon))}`;
  }
  // pg-connection-string takes ?password= as the password too (over the user info),
  // its name %-decoded as URLSearchParams does (?pass%77ord= is the same parameter).
  return out.replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, sep: string, name: string) => (paramName(name).toLowerCase() === 'password' ? `${sep}${name}=***` : all));
}
