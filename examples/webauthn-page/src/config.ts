/** Settings of the runnable service, from the environment. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Undefined: `http://localhost:<port>` once listening. */
  origin?: string;
  rpID?: string;
  trustedProxies: string[];
}

/** A setting in the environment the service cannot start with; `code` names which. */
export class ExampleConfigError extends Error {
  override readonly name = 'ExampleConfigError';
  constructor(
    readonly code: 'EXAMPLE_PORT_INVALID' | 'EXAMPLE_ORIGIN_INVALID',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1),
 * ORIGIN (default http://localhost:PORT; WebAuthn §13.4.1 lets browsers treat
 * http://localhost as a secure context), RP_ID (default: the origin's host)
 * and TRUSTED_PROXIES (comma-separated IPs/CIDRs, default none: a client's own
 * X-Forwarded-For is never believed unless an operator says so).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // An empty PORT (`PORT= npm start`) means the default, not port 0.
  const raw = env.PORT?.trim() || '3000';
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    // JSON.stringify: a hostile value (newlines, escapes) cannot forge extra stderr lines.
    throw new ExampleConfigError('EXAMPLE_PORT_INVALID', `PORT must be a port number (0-65535), got ${JSON.stringify(raw.slice(0, 64))}`);
  }
  // Checked here, not only by the hooks: the RP ID default is read from the origin's host first,
  // and `new URL('notanorigin')` threw out of that as a stack trace instead of a line naming ORIGIN.
  if (env.ORIGIN && !isOrigin(env.ORIGIN)) {
    throw new ExampleConfigError('EXAMPLE_ORIGIN_INVALID', `ORIGIN must be an origin such as http://localhost:3000, got ${JSON.stringify(env.ORIGIN.slice(0, 200))}`);
  }
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

/** True for `scheme://host[:port]` exactly, as the hooks require of `origin` (`localhost:3000` parses as a URL of scheme `localhost:`). */
function isOrigin(text: string): boolean {
  return URL.canParse(text) && new URL(text).origin === text;
}
