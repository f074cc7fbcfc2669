/** Settings of the runnable service, from the environment. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Undefined: `http://localhost:<port>` once listening. */
  origin?: string;
  rpID?: string;
  trustedProxies: string[];
}

/**
 * Reads PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1),
 * ORIGIN (default http://localhost:PORT; WebAuthn treats http://localhost as
 * a secure context), RP_ID (default: the origin's host) and TRUSTED_PROXIES
 * (comma-separated IPs/CIDRs, default none).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    ...(env.ORIGIN ? { origin: env.ORIGIN } : {}),
    ...(env.RP_ID ? { rpID: env.RP_ID } : {}),
    trustedProxies: (env.TRUSTED_PROXIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}
