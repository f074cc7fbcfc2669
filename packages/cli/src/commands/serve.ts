import {
  ConfigError,
  aggregatorOptionsFrom,
  applyHeapGrowingPercent,
  listSetting,
  mergeSettings,
  parseHeapGrowingPercent,
  settingNames,
  settingsFromEnv,
  settingsFromFile,
  startAggregator,
  type ServeSettings,
} from '@audit-trail/ingest-sink';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { commandDb } from '../db-url.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { jsonLogger } from './serve-log.js';

/** The signals that stop the aggregator gracefully (stop accepting, ack, flush). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

const USAGE = `Usage: audit-trail serve --db URL [options]

Runs the aggregator: a Fluent forward protocol receiver (Docker fluentd log
driver, Fluentd, Fluent Bit) and optionally a syslog receiver (RFC 5424/3164,
rsyslog), writing through the durable sink. Forward requests are acked only
after their events are durable.

Options (environment variable in brackets; flags win over the environment,
which wins over --config):
  --db URL                 sqlite:./audit.db, postgres://..., mssql://...  [AUDIT_TRAIL_DB_URL;
                           password from AUDIT_TRAIL_DB_PASSWORD_FILE]
  --forward HOST:PORT      forward receiver, TCP + UDP heartbeat (default 0.0.0.0:24224); over
                           TLS when --tls-cert is given, unless written tcp://HOST:PORT  [AUDIT_TRAIL_FORWARD]
  --syslog HOST:PORT       syslog receiver, TCP + UDP (off unless given; usual 0.0.0.0:5140);
                           tls://HOST:PORT: syslog over TLS (RFC 5425, usual port 6514) with
                           --tls-cert/--tls-key (and --tls-ca), no UDP  [AUDIT_TRAIL_SYSLOG]
  --health HOST:PORT|off   GET /healthz: status and counters; 200 ok or degraded (database
                           failing, events spooled), 503 failing (spool 90% full, or
                           its disk failing);
                           GET /livez: 200 while it answers (default 127.0.0.1:9880)  [AUDIT_TRAIL_HEALTH]
  --shared-key-file FILE   forward shared keys, one per line; repeat for more keys
                           (all listed keys are accepted: rotate without downtime)  [AUDIT_TRAIL_SHARED_KEY_FILE, comma-separated]
  --users-file FILE        user:password lines for forward user authentication  [AUDIT_TRAIL_USERS_FILE]
  --self-hostname NAME     server name in the handshake (default: host name)  [AUDIT_TRAIL_SELF_HOSTNAME]
  --tls-cert FILE --tls-key FILE   serve forward (and a tls:// syslog) over TLS  [AUDIT_TRAIL_TLS_CERT, AUDIT_TRAIL_TLS_KEY]
  --tls-ca FILE            require client certificates signed by this CA (mutual TLS)  [AUDIT_TRAIL_TLS_CA]
  --tag-template T         Docker tag template parsed into Swarm columns  [AUDIT_TRAIL_TAG_TEMPLATE]
  --container-event-tags P Docker events, Falco alerts, Kubernetes audit events and CONTAINER_*
                           audit lines are stored as events only from these tags (syslog:
                           APP-NAMEs, which any sender sets: not a proof of origin),
                           comma-separated, * for any characters, e.g.
                           docker.events,falco,k8s.audit; from any other tag they become
                           rejects. Default: any tag  [AUDIT_TRAIL_CONTAINER_EVENT_TAGS]
  --spool DIR              the sink's spool: acked events wait here for the database; put it
                           on a persistent volume (default: beside a SQLite file, else
                           .audit-trail-spool/ in the working directory)  [AUDIT_TRAIL_SPOOL]
  --spool-max-bytes SIZE   spool limit, bytes or with KiB, MiB, GiB (default 256MiB, at
                           least 1MiB): at it acks wait; from 90% /healthz says failing
                           [AUDIT_TRAIL_SPOOL_MAX_BYTES]
  --heap-growing-percent N V8 old-generation growth per full collection, 0 for V8's
                           own (default 10: a quarter to two fifths less peak RSS for
                           5-20% fewer events/s)  [AUDIT_TRAIL_HEAP_GROWING_PERCENT]
  --config FILE            JSON file with the same settings (keys: db, forward, syslog, health,
                           sharedKeyFiles, usersFile, selfHostname, tlsCert, tlsKey, tlsCa,
                           tagTemplate, containerEventTags, heapGrowingPercent, spool,
                           spoolMaxBytes, limits, syslogLimits); relative paths in it
                           are resolved against the working directory, not the file's

Logs are JSON lines on stderr, among them the database failing (warn, then
once a minute while it lasts), accepting events again, and the spool filling.
SIGTERM, SIGINT or SIGHUP stops accepting, finishes and acks in-flight
requests, flushes the sink and exits 0.
`;

function settingsFromFlags(argv: string[]): { flags: ServeSettings; config?: string } {
  const { values } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      db: { type: 'string' },
      forward: { type: 'string' },
      syslog: { type: 'string' },
      health: { type: 'string' },
      'shared-key-file': { type: 'string', multiple: true },
      'users-file': { type: 'string' },
      'self-hostname': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tag-template': { type: 'string' },
      'container-event-tags': { type: 'string' },
      'heap-growing-percent': { type: 'string' },
      spool: { type: 'string' },
      'spool-max-bytes': { type: 'string' },
      config: { type: 'string' },
    },
  });
  return {
    config: values.config,
    flags: {
      db: values.db,
      forward: values.forward,
      syslog: values.syslog,
      health: values.health,
      sharedKeyFiles: values['shared-key-file'],
      usersFile: values['users-file'],
      selfHostname: values['self-hostname'],
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      tlsCa: values['tls-ca'],
      tagTemplate: values['tag-template'],
      containerEventTags: values['container-event-tags'] === undefined ? undefined : listSetting(values['container-event-tags']),
      heapGrowingPercent: values['heap-growing-percent'],
      spool: values.spool,
      spoolMaxBytes: values['spool-max-bytes'],
    },
  };
}

/** `audit-trail serve`: the forward + syslog aggregator. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the aggregator: forward-protocol and syslog receivers writing to the database',
  usage: USAGE,
  async run(argv, io) {
    const { flags, config } = settingsFromFlags(argv);
    let options;
    let heapGrowingPercent;
    try {
      const env = settingsFromEnv(io.env);
      const file = config ? settingsFromFile(config) : {};
      const settings = mergeSettings(flags, env, file);
      // Values checked together are named as they were given: flag, variable or config file key.
      const names = settingNames(flags, env, file, config);
      options = aggregatorOptionsFrom(settings, names);
      heapGrowingPercent = parseHeapGrowingPercent(settings.heapGrowingPercent, names.heapGrowingPercent);
      // AUDIT_TRAIL_DB_PASSWORD_FILE supplies the password, so it never sits in a URL on the command line.
      // A URL the sink cannot use is a usage error (exit 2), as in every command.
      options.sink = commandDb(options.sink, io).url;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const log = jsonLogger(io);
    // This process owns its heap: bound its growth before the receivers start.
    applyHeapGrowingPercent(heapGrowingPercent);
    // Settings it refuses when checking them together (TLS files OpenSSL cannot use) are usage errors too.
    const aggregator = await startAggregator({ ...options, log }).catch((err: unknown) => {
      throw err instanceof ConfigError ? new UsageError(err.message) : err;
    });
    // Listening before the line that says so: a supervisor (or a test) that
    // signals as soon as it reads the line would otherwise find the default
    // action still in place, and the process killed without its shutdown.
    // SIGHUP too: the terminal of a foreground serve closing (an SSH session
    // ended) sends it, and its default action ended the process at once, with
    // requests unacked and no line saying what stays spooled (found by a probe).
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => {
        for (const sig of STOP_SIGNALS) process.off(sig, on);
        resolve(s);
      };
      for (const sig of STOP_SIGNALS) process.on(sig, on);
    });
    log({ level: 'info', msg: 'aggregator started', forward: aggregator.forward, syslog: aggregator.syslog, health: aggregator.health, heapGrowingPercent });
    const signal = await stopped;
    log({ level: 'info', msg: 'shutting down', signal });
    await aggregator.close();
    log({ level: 'info', msg: 'shutdown complete' });
    return 0;
  },
};
