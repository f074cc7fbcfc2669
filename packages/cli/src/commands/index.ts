import type { Command } from '../command.js';

/**
 * Every sub-command, loaded on demand so that `audit-trail verify` does not
 * load database drivers it will not use.
 */
export const commandLoaders: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  ingest: async () => (await import('./ingest.js')).ingestCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  report: async () => (await import('./report.js')).reportCommand,
  salvage: async () => (await import('./salvage.js')).salvageCommand,
};

/** One-line summaries for `audit-trail --help`, kept here so help needs no imports. */
export const commandSummaries: Record<string, string> = {
  serve: 'Run the aggregator: forward-protocol and syslog receivers writing to the database',
  migrate: 'Create or update the audit tables (idempotent)',
  ingest: 'Load NDJSON audit lines from files or stdin into the database',
  verify: 'Verify signed chains in NDJSON files or in the database',
  report: 'Forensic reports: failures, auth-failures, bursts, counters, shells, shells-by-image, rejects, future-dated',
  salvage: 'Recover intact records from quarantined spool files into the database',
};
