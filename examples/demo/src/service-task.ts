import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuditLogger, type AuditLogger } from '@audit-trail/logger';
import { createApp } from '@audit-trail/example-express-webauthn/src/app.js';
import { DockerDriverDestination, type TaskPlacement } from './docker-driver-destination.js';

/** One replica of the Express example as a Swarm task: its own logger, chain and log-driver connection. */
export interface ServiceTask {
  placement: TaskPlacement;
  /** Base URL of its /webauthn routes. */
  base: string;
  origin: string;
  logger: AuditLogger;
  /** Closes the chain (AUDIT_CHAIN_CLOSE), waits for every line's ack, stops listening. */
  stop(): Promise<void>;
}

/** Swarm task ids are 25 lowercase alphanumerics. */
function taskId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(25)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Starts the Express WebAuthn example on a free loopback port with signing on
 * (shared mode, the demo's key), its audit lines shipped to the aggregator as
 * the Docker fluentd driver would. The demo plays the load balancer in front
 * of it, so loopback is its one trusted proxy and X-Forwarded-For names clients.
 */
export async function startServiceTask(opts: { node: string; forwardPort: number; kid: string; secret: Buffer }): Promise<ServiceTask> {
  const placement: TaskPlacement = {
    node: opts.node,
    service: 'webauthn-api',
    taskId: taskId(),
    containerId: randomBytes(32).toString('hex'),
  };
  const destination = new DockerDriverDestination(opts.forwardPort, placement);
  const logger = createAuditLogger({
    service: 'webauthn-api',
    version: '1.0.0',
    env: {},
    // Inside a Swarm task these come from SWARM_NODE/SWARM_SERVICE/SWARM_TASK_ID and HOSTNAME.
    runtime: {
      container_id: placement.containerId,
      swarm_node: placement.node,
      swarm_service: placement.service,
      swarm_task_id: placement.taskId,
    },
    destination,
    signing: { mode: 'shared', kid: opts.kid, secret: opts.secret },
  });
  const server: Server = await new Promise((resolve) => {
    const s = createApp({ audit: logger, origin: 'http://localhost', trustedProxies: ['loopback'] }).listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    placement,
    base: `http://127.0.0.1:${port}/webauthn`,
    origin: 'http://localhost',
    logger,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await logger.close();
      await destination.close();
    },
  };
}
