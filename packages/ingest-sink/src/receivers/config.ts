import { BoundedFileError, fileErrorReason, MAX_PEM_FILE_BYTES, MAX_SECRET_FILE_BYTES, mayBeSecret, readBoundedFile, withoutBom } from '@audit-trail/schema';
import { hostname } from 'node:os';
import type { AggregatorOptions } from './aggregator.js';
import { DEFAULT_FORWARD_PORT, DEFAULT_HEALTH_PORT, DEFAULT_TAG_TEMPLATE } from './defaults.js';
import { checkLimits, type GivenLimits } from './check-limits.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_FORWARD_LIMITS, type ForwardLimits } from './forward/options.js';
import { DEFAULT_SYSLOG_LIMITS, type SyslogLimits } from './syslog/limits.js';

export { ConfigError } from './config-error.js';

/** Settings of `audit-trail serve`, from flags, environment or a JSON config file (in that order of precedence). */
export interface ServeSettings {
  db?: string | undefined;
  /**
   * HOST:PORT of the forward receiver: over TLS when `tlsCert` is set, or
   * `tcp://HOST:PORT` for clear TCP all the same (when the certificate is
   * there for syslog), `tls://HOST:PORT` to insist on TLS.
   */
  forward?: string | undefined;
  /**
   * HOST:PORT of the syslog receiver, TCP and UDP (off when absent); or
   * `tls://HOST:PORT`: syslog over TLS (RFC 5425) with `tlsCert`, `tlsKey`
   * and, for client certificates, `tlsCa`; no UDP then.
   */
  syslog?: string | undefined;
  /** HOST:PORT of the health endpoint, or "off". */
  health?: string | undefined;
  /** Files holding shared keys, one per line; every key listed is accepted (rotation). */
  sharedKeyFiles?: string[] | undefined;
  /** File of `user:password` lines for forward user authentication. */
  usersFile?: string | undefined;
  selfHostname?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  tlsCa?: string | undefined;
  tagTemplate?: string | undefined;
  /** Tags (or syslog APP-NAMEs) Docker events and Falco alerts may arrive with; `*` matches any characters. */
  containerEventTags?: string[] | undefined;
  limits?: GivenLimits<ForwardLimits> | undefined;
  /** Limits of the syslog receiver (config file only): see {@link SyslogLimits}. */
  syslogLimits?: GivenLimits<SyslogLimits> | undefined;
  /** V8 old-generation growth in percent, 0 for V8's default (see heap-growth.ts; default 10). */
  heapGrowingPercent?: number | string | undefined;
  /** The sink's spool directory (default: beside a SQLite file, or `.audit-trail-spool/` in the working directory). */
  spool?: string | undefined;
  /** The spool's size limit: bytes, or a number with KiB, MiB or GiB (default 256 MiB). At it, acks wait; from 90%, /healthz says failing. */
  spoolMaxBytes?: number | string | undefined;
}


/** Environment variables of `audit-trail serve`; list values (key files) are comma-separated. */
export const SERVE_ENV: Record<Exclude<keyof ServeSettings, 'limits' | 'syslogLimits'>, string> = {
  db: 'AUDIT_TRAIL_DB_URL',
  forward: 'AUDIT_TRAIL_FORWARD',
  syslog: 'AUDIT_TRAIL_SYSLOG',
  health: 'AUDIT_TRAIL_HEALTH',
  sharedKeyFiles: 'AUDIT_TRAIL_SHARED_KEY_FILE',
  usersFile: 'AUDIT_TRAIL_USERS_FILE',
  selfHostname: 'AUDIT_TRAIL_SELF_HOSTNAME',
  tlsCert: 'AUDIT_TRAIL_TLS_CERT',
  tlsKey: 'AUDIT_TRAIL_TLS_KEY',
  tlsCa: 'AUDIT_TRAIL_TLS_CA',
  tagTemplate: 'AUDIT_TRAIL_TAG_TEMPLATE',
  containerEventTags: 'AUDIT_TRAIL_CONTAINER_EVENT_TAGS',
  heapGrowingPercent: 'AUDIT_TRAIL_HEAP_GROWING_PERCENT',
  spool: 'AUDIT_TRAIL_SPOOL',
  spoolMaxBytes: 'AUDIT_TRAIL_SPOOL_MAX_BYTES',
};

/** Smallest `spoolMaxBytes` serve takes: below a batch or two, every ack would wait for a commit. */
export const MIN_SPOOL_MAX_BYTES = 1024 * 1024;

const BYTE_UNITS: Record<string, number> = { '': 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * Parses a size such as `268435456`, `512MiB` or `2 GiB` (binary units,
 * case-insensitive). Decimal units (MB, GB) are refused rather than guessed:
 * a spool sized for a volume must not come out 7% larger than meant.
 */
export function parseByteSize(value: number | string, what: string, min = 0): number {
  const m = /^\s*(\d+)\s*([kmg]ib)?\s*$/i.exec(String(value));
  const n = m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]! : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ConfigError('CONFIG_INVALID', `${what} must be a whole number of bytes, or one with KiB, MiB or GiB, of at least ${min} (got ${JSON.stringify(String(value).slice(0, 40))})`);
  }
  return n;
}


/**
 * A comma-separated list setting (key files, tags), each item trimmed and
 * empty items dropped: `docker.events, falco` is written as often as without
 * the space, and an untrimmed " falco" matched no tag, so Falco's alerts were
 * stored as CONTAINER_EVENT_UNTRUSTED_TAG rejects (found by a probe). Tags
 * (Fluentd's dotted words, syslog's APP-NAME, RFC 5424 §6.2.5) hold no spaces.
 */
export function listSetting(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Settings from the environment. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ServeSettings {
  const out: ServeSettings = {};
  for (const [key, name] of Object.entries(SERVE_ENV) as [keyof typeof SERVE_ENV, string][]) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (key === 'sharedKeyFiles' || key === 'containerEventTags') out[key] = listSetting(v);
    else out[key] = v;
  }
  return out;
}

/**
 * The JSON types each setting of a config file takes (containerEventTags,
 * limits and syslogLimits are checked on their own). Flags and the
 * environment give strings only; a file can give anything, and an unchecked
 * `{"forward": 0}` or `{"health": false}` ended in "value.trim is not a
 * function", `{"sharedKeyFiles": [0]}` read a key from fd 0 (stdin).
 */
const FILE_VALUE_TYPES: Record<Exclude<keyof ServeSettings, 'containerEventTags' | 'limits' | 'syslogLimits'>, 'string' | 'strings' | 'number or string'> = {
  db: 'string',
  forward: 'string',
  syslog: 'string',
  health: 'string',
  sharedKeyFiles: 'strings',
  usersFile: 'string',
  selfHostname: 'string',
  tlsCert: 'string',
  tlsKey: 'string',
  tlsCa: 'string',
  tagTemplate: 'string',
  heapGrowingPercent: 'number or string',
  spool: 'string',
  spoolMaxBytes: 'number or string',
};

/**
 * Settings whose value may hold a secret: `db` is a URL with its password, or,
 * written as the sink's connection object by mistake, `{"password": ...}`.
 * A type error names only the type of theirs.
 */
const SECRET_SETTINGS: ReadonlySet<string> = new Set(['db']);

/** A JSON value as a type error shows it: its type, and a short excerpt unless `key` may hold a secret. */
function jsonValueShown(key: string, value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return SECRET_SETTINGS.has(key) ? type : `${type} (${JSON.stringify(value).slice(0, 40)})`;
}

/**
 * V8's JSON.parse message without the excerpt of the text it quotes
 * (`Unexpected token 'p', "{"db": postgres:/"... is not valid JSON`): ten
 * characters either side of the mistake, or the whole text when it is short,
 * which in a config file may be the database password (a `"` in it left
 * unescaped). The kind of mistake and its position stay.
 */
function jsonErrorShown(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ' (the text around it is not repeated: it may hold the password)');
}

/** Throws a ConfigError naming the key and the type it takes for the first value of the wrong JSON type. */
function checkFileValueTypes(path: string, settings: Record<string, unknown>): void {
  for (const [key, wanted] of Object.entries(FILE_VALUE_TYPES)) {
    const value = settings[key];
    if (value === undefined) continue;
    const ok =
      wanted === 'string' ? typeof value === 'string'
      : wanted === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')
      : typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      const expected = wanted === 'strings' ? 'an array of non-empty strings (file names)' : wanted === 'string' ? 'a string' : 'a number or a string';
      throw new ConfigError('CONFIG_INVALID', `config file ${path}: ${key} must be ${expected}, got ${jsonValueShown(key, value)}`);
    }
  }
}

/** Settings from a JSON config file (same keys as {@link ServeSettings}), each value checked for its JSON type. */
export function settingsFromFile(path: string): ServeSettings {
  const text = readSmallText(path, MAX_SECRET_FILE_BYTES, 'config file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `config file ${path} is not JSON: ${jsonErrorShown((err as Error).message)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('CONFIG_INVALID', `config file ${path} must hold a JSON object`);
  const known = new Set([...Object.keys(SERVE_ENV), 'limits', 'syslogLimits']);
  for (const k of Object.keys(parsed)) if (!known.has(k)) throw new ConfigError('CONFIG_INVALID', `config file ${path}: unknown key "${k}"`);
  checkFileValueTypes(path, parsed as Record<string, unknown>);
  // Checked here, so a mistake names the file and its key (not the flag, which
  // was not given); the receivers and aggregatorOptionsFrom check them again.
  checkLimits(`config file ${path}: syslogLimits`, (parsed as { syslogLimits?: unknown }).syslogLimits, DEFAULT_SYSLOG_LIMITS);
  checkLimits(`config file ${path}: limits`, (parsed as { limits?: unknown }).limits, DEFAULT_FORWARD_LIMITS);
  const s = parsed as ServeSettings;
  const named = (key: string) => `config file ${path}: ${key}`;
  if (s.forward !== undefined) parseListenAddress(s.forward, '0.0.0.0', named('forward'));
  if (s.syslog !== undefined) parseListenAddress(s.syslog, '0.0.0.0', named('syslog'));
  if (s.health !== undefined && s.health !== 'off') parseHostPort(s.health, '127.0.0.1', named('health'));
  if (s.spoolMaxBytes !== undefined) parseByteSize(s.spoolMaxBytes, named('spoolMaxBytes'), MIN_SPOOL_MAX_BYTES);
  const tags = (parsed as { containerEventTags?: unknown }).containerEventTags;
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string' && t !== ''))) {
    throw new ConfigError('CONFIG_INVALID', `config file ${path}: containerEventTags must be an array of non-empty strings`);
  }
  return parsed as ServeSettings;
}

/** How messages name each setting: by where its value came from (see {@link settingNames}); one not named is called by its flag. */
export type SettingNames = Partial<Record<keyof ServeSettings, string>>;

/** The flag of a setting: `--tls-cert` for tlsCert, `--shared-key-file` for sharedKeyFiles. */
export function flagOf(key: keyof ServeSettings): string {
  return key === 'sharedKeyFiles' ? '--shared-key-file' : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Names each setting as it was given, by the precedence of
 * {@link mergeSettings}: its flag, its environment variable, or its key in
 * the config file at `path`. Checks of values taken together (a certificate
 * without its key, `tls://` without a certificate) run on the merged
 * settings, and named flags that were never given (found by a probe).
 */
export function settingNames(flags: ServeSettings, env: ServeSettings, file: ServeSettings = {}, path = 'config file'): SettingNames {
  const names: SettingNames = {};
  const layers: [ServeSettings, (key: keyof ServeSettings) => string][] = [
    [file, (key) => `config file ${path}: ${key}`],
    [env, (key) => (key in SERVE_ENV ? SERVE_ENV[key as keyof typeof SERVE_ENV] : flagOf(key))],
    [flags, flagOf],
  ];
  for (const [layer, name] of layers) {
    for (const [key, value] of Object.entries(layer) as [keyof ServeSettings, unknown][]) if (value !== undefined) names[key] = name(key);
  }
  return names;
}

/** Every way to give a setting, for a message about one that is missing: `--tls-key (AUDIT_TRAIL_TLS_KEY, or tlsKey in a config file)`. */
function anyWayOf(key: keyof typeof SERVE_ENV): string {
  return `${flagOf(key)} (${SERVE_ENV[key]}, or ${key} in a config file)`;
}

/** Flags win over the environment, which wins over the file. */
export function mergeSettings(...layers: ServeSettings[]): ServeSettings {
  const out: ServeSettings = {};
  for (const layer of [...layers].reverse()) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * Parses a receiver's address: `HOST:PORT` (see {@link parseHostPort}),
 * optionally after `tcp://` or `tls://`, which says whether it must speak TLS.
 */
export function parseListenAddress(value: string, defaultHost: string, what: string): { host: string; port: number; transport?: 'tcp' | 'tls' } {
  const m = /^(tcp|tls):\/\/(.*)$/i.exec(value.trim());
  if (!m) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) throw new ConfigError('CONFIG_INVALID', `${what} must be HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT, got "${value}"`);
    return parseHostPort(value, defaultHost, what);
  }
  return { ...parseHostPort(m[2]!, defaultHost, what), transport: m[1]!.toLowerCase() as 'tcp' | 'tls' };
}

/** Parses `HOST:PORT`, `[v6]:PORT`, `:PORT` or `PORT`. */
export function parseHostPort(value: string, defaultHost: string, what: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('CONFIG_INVALID', `${what} must be HOST:PORT, got "${value}"`);
  return { host: m[1] ?? (m[2] || defaultHost), port };
}

/**
 * Reads a key, users, config or PEM file through readBoundedFile: a regular
 * file or a pipe of at most `maxBytes` (readFileSync took /dev/zero and grew to
 * gigabytes); anything else is a ConfigError naming the file and the limit.
 */
function readSmallFile(path: string, maxBytes: number, what: string, shown = path): Buffer {
  try {
    return readBoundedFile(path, maxBytes, `${what} ${shown}`);
  } catch (err) {
    if (err instanceof BoundedFileError) throw new ConfigError('CONFIG_FILE_UNREADABLE', err.message);
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `cannot read ${what} ${shown}: ${fileErrorReason(err)}`);
  }
}

/** A config, key or users file's text (readSmallFile), without a leading byte order mark (withoutBom). */
function readSmallText(path: string, maxBytes: number, what: string, shown = path): string {
  return withoutBom(readSmallFile(path, maxBytes, what, shown).toString('utf8'));
}

/**
 * A shared key or users file name as messages show it: not at all when it
 * looks like what the file should hold. `--shared-key-file "$(openssl rand
 * -base64 48)"`, or `AUDIT_TRAIL_USERS_FILE=alice:pw`, printed the key or the
 * password in "cannot read ... (ENOENT)" (found by a probe); the logger's
 * key files are judged by the same {@link mayBeSecret}. A users line is
 * `user:password`: a name with a `:` before any `/` is taken for one.
 */
function secretFileShown(path: string, what: string): string {
  if (mayBeSecret(path)) return `(a ${path.length}-character name that looks like a key, not shown: pass a file holding it)`;
  if (what === 'users file' && /^[^/]*:/.test(path)) return `(a ${path.length}-character name that looks like a user:password line, not shown: pass a file holding it)`;
  return path;
}

/** Lines of a shared key file (limit 1 MiB) or users file (4 MiB), blank lines and # comments dropped. */
function readSecretLines(path: string, what: string, maxBytes: number): string[] {
  const text = readSmallText(path, maxBytes, what, secretFileShown(path, what));
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** Reads a PEM file and checks it holds what its setting is for (a certificate and a key swapped are common; `swapped` names the two). */
function readPem(path: string, what: string, name: string, expected: RegExp, swapped: string): Buffer {
  const pem = readSmallFile(path, MAX_PEM_FILE_BYTES, what);
  if (!expected.test(pem.toString('latin1'))) {
    const wanted = expected.source.includes('CERTIFICATE') ? 'a PEM certificate (-----BEGIN CERTIFICATE-----)' : 'a PEM private key (-----BEGIN ... PRIVATE KEY-----)';
    throw new ConfigError('CONFIG_INVALID', `${name} ${path} does not hold ${wanted}; ${swapped}`);
  }
  return pem;
}

/**
 * Turns settings into aggregator options, reading key, user and PEM files.
 * Messages name each setting as `names` says it was given (settingNames),
 * by its flag otherwise.
 */
export function aggregatorOptionsFrom(s: ServeSettings, names: SettingNames = {}): Omit<AggregatorOptions, 'log'> & { sink: string } {
  const n = (key: keyof ServeSettings) => names[key] ?? flagOf(key);
  if (!s.db) throw new ConfigError('CONFIG_INVALID', `--db (or ${SERVE_ENV.db}) is required`);
  const { transport: forwardTransport, ...forward } = parseListenAddress(s.forward ?? `0.0.0.0:${DEFAULT_FORWARD_PORT}`, '0.0.0.0', n('forward'));
  const syslog = s.syslog === undefined ? undefined : parseListenAddress(s.syslog, '0.0.0.0', n('syslog'));
  // A key or users file that holds no entry (a secret mount that came up
  // empty, only comments) is an error, never "no authentication": fail closed.
  const keys = (s.sharedKeyFiles ?? []).flatMap((f) => {
    const lines = readSecretLines(f, 'shared key file', MAX_SECRET_FILE_BYTES);
    if (lines.length === 0) throw new ConfigError('CONFIG_INVALID', `shared key file ${f} holds no key (empty, or comments only); refusing to start without the authentication it asks for`);
    return lines;
  });
  let users: Record<string, string> | undefined;
  if (s.usersFile) {
    users = {};
    const lines = readSecretLines(s.usersFile, 'users file', MAX_PEM_FILE_BYTES);
    if (lines.length === 0) throw new ConfigError('CONFIG_INVALID', `users file ${s.usersFile} holds no user (empty, or comments only); refusing to start without the authentication it asks for`);
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i <= 0) throw new ConfigError('CONFIG_INVALID', `users file ${s.usersFile}: lines must be user:password`);
      users[line.slice(0, i)] = line.slice(i + 1);
    }
    if (keys.length === 0) throw new ConfigError('CONFIG_INVALID', `${n('usersFile')}: user authentication needs a shared key file too (forward handshake): ${anyWayOf('sharedKeyFiles')}`);
  }
  if (s.tlsCert !== undefined && s.tlsKey === undefined) throw new ConfigError('CONFIG_INVALID', `${n('tlsCert')} needs its key: ${anyWayOf('tlsKey')}`);
  if (s.tlsKey !== undefined && s.tlsCert === undefined) throw new ConfigError('CONFIG_INVALID', `${n('tlsKey')} needs its certificate: ${anyWayOf('tlsCert')}`);
  if (s.tlsCa && !s.tlsCert) throw new ConfigError('CONFIG_INVALID', `${n('tlsCa')} needs a certificate and its key: ${anyWayOf('tlsCert')} and ${anyWayOf('tlsKey')}`);
  for (const [key, transport] of [['forward', forwardTransport], ['syslog', syslog?.transport]] as const) {
    if (transport === 'tls' && !s.tlsCert) throw new ConfigError('CONFIG_INVALID', `${n(key)} tls://... needs a certificate and its key: ${anyWayOf('tlsCert')} and ${anyWayOf('tlsKey')}`);
  }
  const swapped = `are ${n('tlsCert')} and ${n('tlsKey')} swapped?`;
  const tls =
    s.tlsCert && s.tlsKey
      ? {
          cert: readPem(s.tlsCert, 'TLS certificate', n('tlsCert'), /-----BEGIN CERTIFICATE-----/, swapped),
          key: readPem(s.tlsKey, 'TLS key', n('tlsKey'), /-----BEGIN [A-Z ]*PRIVATE KEY-----/, swapped),
          ...(s.tlsCa ? { ca: readPem(s.tlsCa, 'TLS CA', n('tlsCa'), /-----BEGIN CERTIFICATE-----/, `is ${n('tlsCa')} a key?`) } : {}),
        }
      : undefined;
  if (tls && forwardTransport === 'tcp' && syslog?.transport !== 'tls') {
    throw new ConfigError('CONFIG_INVALID', `${n('tlsCert')} is given but neither receiver uses it (${n('forward')} tcp://..., ${syslog ? `${n('syslog')} not tls://...` : 'no syslog receiver'})`);
  }
  const health = s.health === 'off' ? undefined : parseHostPort(s.health ?? `127.0.0.1:${DEFAULT_HEALTH_PORT}`, '127.0.0.1', n('health'));
  if (s.spool !== undefined && (typeof s.spool !== 'string' || s.spool === '')) throw new ConfigError('CONFIG_INVALID', `${n('spool')} must be a directory path`);
  const spoolMaxBytes = s.spoolMaxBytes === undefined ? undefined : parseByteSize(s.spoolMaxBytes, n('spoolMaxBytes'), MIN_SPOOL_MAX_BYTES);
  const spool = { ...(s.spool ? { dir: s.spool } : {}), ...(spoolMaxBytes !== undefined ? { maxBytes: spoolMaxBytes } : {}) };
  return {
    sink: s.db,
    ...(Object.keys(spool).length > 0 ? { sinkOptions: { spool } } : {}),
    forward: {
      ...forward,
      ...(keys.length > 0 ? { security: { selfHostname: s.selfHostname ?? hostname(), sharedKeys: keys, ...(users ? { users } : {}) } } : {}),
      ...(tls && forwardTransport !== 'tcp' ? { tls } : {}),
      ...(s.limits ? { limits: s.limits } : {}),
    },
    ...(syslog ? { syslog: { host: syslog.host, port: syslog.port, ...(syslog.transport === 'tls' ? { tls } : {}), ...s.syslogLimits } } : {}),
    ...(health ? { health } : {}),
    tagTemplate: s.tagTemplate ?? DEFAULT_TAG_TEMPLATE,
    ...(s.containerEventTags ? { containerEventTags: s.containerEventTags } : {}),
  };
}
