/**
 * Runs the example: `npm start`. Audit lines go to stdout (one JSON line per
 * event, what Docker's log driver collects); this file's own messages go to
 * stderr so stdout stays pure audit.
 */
import { createAuditLogger } from '@audit-trail/logger';
import { configFromEnv } from './config.js';
import { startExample } from './start.js';

const config = configFromEnv();
const audit = createAuditLogger({ service: process.env.AUDIT_TRAIL_SERVICE ?? 'example-fastify-webauthn' });
const running = await startExample({ audit, ...config });
process.stderr.write(`fastify-webauthn: open ${running.origin} (listening on ${config.host}:${running.port})\n`);

async function shutdown(): Promise<void> {
  await running.close();
  await audit.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
