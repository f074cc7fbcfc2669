import { createAuditLogger } from '@audit-trail/logger';
import { configFromEnv } from './config.js';
import type { StartExample } from './start.js';

/**
 * What `npm start` runs in each example: settings from the environment,
 * audit lines on stdout (one JSON line per event, what Docker's log driver
 * collects), this function's own messages on stderr so stdout stays pure
 * audit, and a clean shutdown on SIGTERM/SIGINT that closes the chain.
 */
export async function runExampleFromEnv(name: string, startExample: StartExample): Promise<void> {
  const config = configFromEnv();
  const audit = createAuditLogger({ service: process.env.AUDIT_TRAIL_SERVICE ?? `example-${name}` });
  const running = await startExample({ audit, ...config });
  process.stderr.write(`${name}: open ${running.origin} (listening on ${config.host}:${running.port})\n`);

  async function shutdown(): Promise<void> {
    await running.close();
    await audit.close();
    process.exit(0);
  }
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}
