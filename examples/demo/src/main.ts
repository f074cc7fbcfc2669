import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openVerifySource, redactUrl } from '@audit-trail/ingest-sink';
import { runCli, startServe } from './audit-cli.js';
import { runCeremonies } from './ceremonies.js';
import { Progress } from './progress.js';
import { sendRuntimeEvents } from './runtime-events.js';
import { startServiceTask } from './service-task.js';

const HELP = `npm run demo [-- --db URL]

Runs the whole audit-trail pipeline on this machine and prints the reports:
  1. migrates the database (default: a fresh SQLite file under .audit-demo/)
  2. starts the aggregator (audit-trail serve) on a free loopback port
  3. starts two replicas of the Express WebAuthn example with signing on,
     shipping audit lines over the forward protocol as Docker's log driver does
  4. drives real WebAuthn ceremonies with a software authenticator
  5. sends container runtime events (Falco, docker events) the same way
  6. verifies the signed chains in the database and prints the reports

  --db URL   postgres://... or mssql://... instead of the SQLite file: an
             empty database (each run signs with a new key, so the chains
             of an earlier run would not verify)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataDir = resolve('.audit-demo');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const db = values.db ?? `sqlite:${resolve(dataDir, 'audit.db')}`;
  const shownDb = redactUrl(db);

  // The demo's signing key: shared mode, one kid. The verifier reads it from a
  // file, as a deployment reads a mounted secret; it is never printed.
  const kid = 'demo-2026-11';
  const secret = randomBytes(32);
  const secretFile = resolve(dataDir, 'signing.secret');
  writeFileSync(secretFile, secret.toString('base64'), { mode: 0o600 });
  const keyEnv = { AUDIT_TRAIL_KID: kid, AUDIT_TRAIL_SECRET_FILE: secretFile };

  const p = new Progress(6);
  p.step(`Migrate ${shownDb}`);
  const migrate = await runCli(['migrate', '--db', db]);
  if (migrate.code !== 0) throw new Error(`audit-trail migrate failed: ${migrate.stderr}`);
  // The default SQLite file was just made; a database given with --db may hold
  // an earlier run, whose chains were signed with a key this run no longer
  // has: step 6 would report them as MAC_INVALID, which reads as tampering.
  if (values.db !== undefined) await refuseStoredEvents(db, shownDb);
  p.done('tables security_audit_events and security_audit_rejects ready');

  p.step('Start the aggregator: audit-trail serve');
  // Container events count only from the Falco and docker-events services' tags (any container can print one).
  const serve = await startServe(
    ['--db', db, '--forward', '127.0.0.1:0', '--health', 'off', '--container-event-tags', 'swarm.audit.*.falco.*,swarm.audit.*.docker-events.*'],
    { AUDIT_TRAIL_SELF_HOSTNAME: 'demo-aggregator' },
    dataDir,
  );
  p.done(`forward protocol on 127.0.0.1:${serve.forwardPort}, acking only after events are durable`);

  p.step('Start two replicas of the Express WebAuthn example (signed audit chains)');
  const tasks = [
    await startServiceTask({ node: 'node-1', forwardPort: serve.forwardPort, kid, secret }),
    await startServiceTask({ node: 'node-2', forwardPort: serve.forwardPort, kid, secret }),
  ] as const;
  for (const t of tasks) p.note(`tag swarm.audit.${t.placement.node}.${t.placement.service}.${t.placement.taskId} -> ${t.base}`);
  p.done('each replica writes one signed JSON line per event, shipped like the Docker fluentd driver');

  p.step('Drive WebAuthn ceremonies with a software authenticator');
  const tally = await runCeremonies([tasks[0], tasks[1]], (s) => p.note(s));
  await Promise.all(tasks.map((t) => t.stop()));
  p.done(`${tally.registrations + tally.signIns + tally.failures + tally.counterRegressions} ceremonies audited; chains closed and every line acked`);

  p.step('Send container runtime events (Falco alerts, docker events)');
  const sent = await sendRuntimeEvents(serve.forwardPort, tasks[0].placement.containerId);
  const code = await serve.stop();
  if (code !== 0) throw new Error(`audit-trail serve exited with ${code}`);
  p.done(`${sent} records sent, one forged by an application container (stored as a reject); aggregator drained and stopped (exit 0)`);

  p.step('Verify the signed chains in the database, then report');
  const verify = await runCli(['verify', '--db', db], keyEnv);
  process.stdout.write(indent(verify.stdout + verify.stderr));
  if (verify.code !== 0) throw new Error('verification found problems');
  p.done('every chain verified: nothing modified, removed, reordered or inserted');

  for (const [title, args] of [
    ['WebAuthn registration and authentication failures of the last 90 days, by user, IP and node', ['report', 'failures', '--days', '90']],
    ['Bursts of failures per source IP', ['report', 'bursts']],
    ['Counter regressions (possible cloned authenticators)', ['report', 'counters']],
    ['Who opened a shell in which container', ['report', 'shells']],
    ['Refused input, by reason and source', ['report', 'rejects']],
  ] as const) {
    const r = await runCli([...args, '--db', db]);
    if (r.code !== 0) throw new Error(`audit-trail ${args.join(' ')} failed: ${r.stderr}`);
    process.stdout.write(`\n${title}  (npx audit-trail ${args.join(' ')} --db ${shownDb})\n${r.stdout}`);
  }

  process.stdout.write(
    `\nDone in ${p.elapsed()} s. The database is ${shownDb}` +
      (db.startsWith('sqlite:') ? `\nQuery it:  sqlite3 ${db.slice('sqlite:'.length)} "SELECT event_type, COUNT(*) FROM security_audit_events GROUP BY 1"\n` : '\n') +
      `Verify it again:  AUDIT_TRAIL_KID=${kid} AUDIT_TRAIL_SECRET_FILE=${secretFile} npx audit-trail verify --db ${shownDb}\n`,
  );
  return 0;
}

/** Throws when the audit table already holds events: the demo needs an empty database. */
async function refuseStoredEvents(db: string, shownDb: string): Promise<void> {
  const source = await openVerifySource(db);
  await source.close();
  if (source.times.event === undefined) return;
  throw new Error(
    `${shownDb} already holds audit events (an earlier run of the demo?). Each run signs its chains with a new key and verifies every chain ` +
      'in the table, so the earlier ones would fail as MAC_INVALID: give the demo an empty database (drop and create it again, or name another one).',
  );
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}\n`)
    .join('');
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`\ndemo failed: ${err.message}\n`);
    process.exit(1);
  },
);
