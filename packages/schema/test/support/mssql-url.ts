/**
 * The mssql config of an `mssql://` (or `sqlserver://`) URL, for the live
 * suite's MSSQL_URL: host (an IPv6 one without its brackets; `host%5Cname`
 * for a named instance, which mssql splits), port, user, password and
 * database %-decoded, and `encrypt`, `trustServerCertificate` and
 * `instanceName` (or `instance`) from the query. mssql 12 parses only
 * ADO.NET connection strings (`Server=...;`): given the URL as text it read
 * none of it, and every connect failed with `The "config.server" property
 * is required` (found by a probe). The sink reads such URLs with its own
 * parser (@audit-trail/ingest-sink parseDbUrl), which this package cannot
 * import; this is the part of it the suite needs.
 */
export function mssqlPoolConfig(url: string): Record<string, unknown> {
  const u = new URL(url);
  if (u.protocol !== 'mssql:' && u.protocol !== 'sqlserver:') throw new Error(`MSSQL_URL must be an mssql:// URL, got ${u.protocol}`);
  // Names in any case, as the sink reads them (`TrustServerCertificate=true`), and true or false only.
  const q = new Map([...u.searchParams].map(([k, v]) => [k.toLowerCase(), v]));
  const flag = (name: string) => {
    const v = q.get(name.toLowerCase())?.toLowerCase();
    if (v === undefined) return undefined;
    if (['', '1', 'true', 'yes'].includes(v)) return true;
    if (['0', 'false', 'no'].includes(v)) return false;
    throw new Error(`MSSQL_URL: ${name} must be true or false, got ${JSON.stringify(v)}`);
  };
  const options: Record<string, unknown> = {};
  for (const name of ['encrypt', 'trustServerCertificate']) if (flag(name) !== undefined) options[name] = flag(name);
  const instance = q.get('instancename') ?? q.get('instance');
  if (instance) options.instanceName = instance;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    server: decodeURIComponent(u.hostname.replace(/^\[(.*)\]$/, '$1')),
    ...(u.port ? { port: Number(u.port) } : {}),
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(database ? { database } : {}),
    options,
  };
}
