// Compiled by consumer-types.test.ts against the built packages' .d.ts with
// the strictest optional-property setting a user may have
// (exactOptionalPropertyTypes), as a service written in TypeScript sees them.
// Every line must compile, and every @ts-expect-error must be needed.
import { createAuditLogger, verifyChain, type SigningOptions, type VerifyRecord } from '@audit-trail/logger';
import { createSink, openReader, openVerifySource, startAggregator, type ForwardServerOptions, type LineItem, type SyslogServerOptions } from '@audit-trail/ingest-sink';
import type { SinkTransportOptions } from '@audit-trail/ingest-sink/transport';
import { completeEvent, createTableStatements, exampleEvents, parseAuditEvent, type Json } from '@audit-trail/schema';
import { createWebAuthnHooks, MemoryChallengeStore, type CredentialStore } from '@audit-trail/webauthn-hooks';
import { createWebAuthnRouter } from '@audit-trail/webauthn-hooks/express';
import type { WebAuthnPluginOptions } from '@audit-trail/webauthn-hooks/fastify';

declare const req: { user?: { id: string }; ip: string | undefined; headers: Record<string, string | undefined> };
const audit = createAuditLogger({ service: 'login-api' });

// A binding given as undefined binds nothing: the usual way to bind what a request may lack.
const log = audit.child({
  user_id: req.user?.id,
  client_ip: req.ip,
  user_agent: req.headers['user-agent'],
  correlation: { request_id: req.headers['x-request-id'], session_id: undefined },
  runtime: { host: req.headers['x-host'] },
});
log.emit({ event_type: 'CONTAINER_EXEC', container: { id: '0123456789ab', name: undefined }, process: { command_line: 'sh -i' } });
audit.webauthnAuthFailure({
  user_id: req.user?.id ?? 'unknown',
  client_ip: req.ip,
  error: { code: 'SIGNATURE_INVALID', message: 'signature did not verify' },
  webauthn: { credential_id: 'AAECAwQF', rp_id: undefined, failure_stage: 'signature' },
});

// @ts-expect-error an error's message is required
audit.webauthnAuthFailure({ user_id: 'u-1', error: { code: 'SIGNATURE_INVALID' }, webauthn: { credential_id: 'AAECAwQF', failure_stage: 'signature' } });

// @ts-expect-error chain records are the logger's own (validateDraft refuses them at run time too)
audit.emit({ event_type: 'AUDIT_CHECKPOINT', chain: { last_seq: 1, records: 1 } });

// Options read from the environment or an optional config: a value that may be
// undefined means "not given" (the default applies), as the runtime treats it.
declare const cfg: {
  proxies?: string[] | undefined;
  uv?: 'required' | 'preferred' | undefined;
  ttlMs?: number | undefined;
  port?: number | undefined;
  host?: string | undefined;
  asOf?: Date | undefined;
  babelfish?: boolean | undefined;
};
const env = process.env;

const service = createAuditLogger({
  service: 'x',
  version: env.APP_VERSION,
  instance: env.POD_NAME,
  destination: env.AUDIT_FILE,
  redact: env.AUDIT_REDACT?.split(','),
  flushTimeoutMs: cfg.ttlMs,
  runtime: { host: env.NODE_HOST, k8s_pod: env.POD_NAME },
});
const signing: SigningOptions = { mode: 'shared', kid: 'k1', secret: env.AUDIT_SECRET ?? '', checkpointIntervalMs: cfg.ttlMs, epochMaxEvents: undefined };
createAuditLogger({ service: 'x', signing, onInvalid: env.STRICT ? 'throw' : undefined });
declare const records: VerifyRecord[];
verifyChain(records, { k1: { secret: env.AUDIT_SECRET ?? '' } }, { asOf: cfg.asOf, settleMs: cfg.ttlMs, checkOrder: undefined });
const row: VerifyRecord = { event: '{}', location: env.ROW_REF, storedAt: cfg.asOf };
void row;
void service;

const sink = createSink({
  url: env.AUDIT_DB,
  spool: { dir: env.SPOOL_DIR, maxBytes: cfg.ttlMs, onFull: env.SPOOL_REJECT ? 'reject' : undefined },
  batch: { maxRows: cfg.ttlMs, maxDelayMs: undefined },
  retry: { maxDelayMs: cfg.ttlMs },
  migrate: env.AUDIT_MIGRATE === undefined ? undefined : env.AUDIT_MIGRATE === '1',
  defaultSource: env.AUDIT_SOURCE,
  fallback: env.FLUENT_HOST ? { host: env.FLUENT_HOST, port: 24224, sharedKey: env.FLUENT_KEY, tls: undefined } : undefined,
});
createSink({ connection: { dialect: 'postgres', connectionString: env.DATABASE_URL, max: cfg.port, connectionTimeoutMillis: cfg.ttlMs } });
createSink({ connection: { dialect: 'sqlite', filename: './audit.db', busyTimeoutMs: cfg.ttlMs, worker: undefined } });
const item: LineItem = { line: '{}', meta: { source_tag: env.TAG, k8s_pod: env.POD_NAME }, source: env.AUDIT_SOURCE };
void sink.write(item);
const transport: SinkTransportOptions = { url: env.AUDIT_DB, chunk: cfg.port, lingerMs: undefined, closeTimeoutMs: cfg.ttlMs, source: env.AUDIT_SOURCE };
void transport;
void openReader(env.AUDIT_DB ?? 'sqlite:./audit.db', { snapshot: env.SNAPSHOT ? true : undefined });
void openVerifySource('sqlite:./audit.db', { pageSize: cfg.port, order: undefined });

const forward: ForwardServerOptions = {
  host: cfg.host,
  port: cfg.port,
  tls: env.TLS_CERT && env.TLS_KEY ? { cert: env.TLS_CERT, key: env.TLS_KEY, ca: env.TLS_CA } : undefined,
  security: env.FLUENT_KEY ? { selfHostname: 'agg', sharedKeys: [env.FLUENT_KEY], users: undefined } : undefined,
  limits: { maxConnections: cfg.port, idleTimeoutMs: undefined },
  keepalive: undefined,
};
const syslog: SyslogServerOptions = { host: cfg.host, port: cfg.port, maxFrameBytes: cfg.port, closeTimeoutMs: undefined };
void startAggregator({ sink, forward, syslog, health: { host: cfg.host, port: cfg.port }, tagTemplate: env.TAG_TEMPLATE, partials: { maxAgeMs: cfg.ttlMs, journal: undefined } });

declare const credentials: CredentialStore;
const webauthnOptions = {
  audit: service,
  rpName: 'Example',
  rpID: 'example.com',
  origin: 'https://example.com',
  trustedProxies: cfg.proxies,
  userVerification: cfg.uv,
  challengeTtlMs: cfg.ttlMs,
  challengeStore: new MemoryChallengeStore({ maxEntries: cfg.port, retainMs: undefined, maxPerClient: cfg.port }),
  credentialStore: credentials,
  userStore: undefined,
};
const hooks = createWebAuthnHooks(webauthnOptions);
void hooks.registrationOptions({ username: 'ada', displayName: req.headers['x-display-name'] });
void hooks.authenticationOptions({ username: req.user?.id });
createWebAuthnRouter({ ...webauthnOptions, bodyLimit: cfg.port, onVerified: undefined });
const plugin: WebAuthnPluginOptions = { ...webauthnOptions, routePrefix: env.WEBAUTHN_PREFIX, bodyLimit: cfg.port };
void plugin;
credentials.add({ id: 'AAECAwQF', userId: 'u-1', publicKey: new Uint8Array(), counter: 0, transports: undefined, deviceType: 'singleDevice', backedUp: false, createdAt: '2026-01-01T00:00:00Z' });

createTableStatements('mssql', { babelfish: cfg.babelfish });
completeEvent({ event_type: 'CONTAINER_EXEC', container: { id: '0123456789ab' }, process: { command_line: 'sh' } }, { producer: { service: 'x', version: env.APP_VERSION }, now: undefined });

// The Json types (compiled from the JSON Schema) take what zod validated: its optional fields are `T | undefined`.
function onEvent(e: Json.AuditEvent): void {
  if (e.event_type === 'WEBAUTHN_AUTH_FAILURE') void e.webauthn.failure_stage;
}
onEvent(exampleEvents.WEBAUTHN_AUTH_FAILURE);
const parsed = parseAuditEvent(env.AUDIT_LINE ?? '');
if (parsed.ok) onEvent(parsed.event);
const exec: Json.ContainerExec = { ...exampleEvents.CONTAINER_EXEC, impersonated_user_id: env.AS_USER };
void exec;
