import { createAuditLogger } from '@audit-trail/logger';
import { WebAuthnHooksError } from '@audit-trail/webauthn-hooks';
import { configFromEnv, ExampleConfigError, type ServerConfig } from './config.js';
import type { StartExample } from './start.js';

/**
 * What `npm start` runs in each example: settings from the environment,
 * audit lines on stdout (one JSON line per event, what Docker's log driver
 * collects), this function's own messages on stderr so stdout stays pure
 * audit, and a clean shutdown on SIGTERM/SIGINT that closes the chain.
 */
export async function runExampleFromEnv(name: string, startExample: StartExample): Promise<void> {
  let config: ServerConfig;
  try {
    config = configFromEnv();
  } catch (err) {
    // A setting the user gave wrong: one line naming it, not a stack trace.
    if (!(err instanceof ExampleConfigError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  const audit = createAuditLogger({ service: process.env.AUDIT_TRAIL_SERVICE ?? `example-${name}` });
  let running: Awaited<ReturnType<StartExample>>;
  try {
    running = await startExample({ audit, ...config });
  } catch (err) {
    // ORIGIN, RP_ID or TRUSTED_PROXIES the hooks refuse (checked once the app is built):
    // a setting the user gave wrong, like PORT, so one line and exit 2, not a stack trace.
    if (err instanceof WebAuthnHooksError) {
      process.stderr.write(`${name}: ${err.message} (check ORIGIN, RP_ID and TRUSTED_PROXIES)\n`);
      await audit.close();
      process.exitCode = 2;
      return;
    }
    // EADDRINUSE, EACCES (a port below 1024): the system's reason, in one line.
    const e = err as NodeJS.ErrnoException;
    if (!e.code || !e.syscall) throw err;
    process.stderr.write(`${name}: cannot listen on ${config.host}:${config.port}: ${e.code}\n`);
    await audit.close();
    process.exitCode = 1;
    return;
  }
  async function shutdown(): Promise<void> {
    await running.close();
    await audit.close();
    process.exit(0);
  }
  // Before the line that says it is listening: whoever stops it on reading that line gets the shutdown, not the default kill.
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  process.stderr.write(`${name}: open ${running.origin} (listening on ${config.host}:${running.port})\n`);
}
