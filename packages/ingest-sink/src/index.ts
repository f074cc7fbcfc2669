// ---- writer (durable, idempotent batch writer) -- owned by the sink issue (#5) ----
export { createSink } from './sink/create-sink.js';
export { migrateDatabase } from './sink/migrate-database.js';
export type { Sink, SinkOptions, SinkStats, SinkErrorNote, WriteItem, LineItem, WriteReceipt, BatchOptions, SpoolOptions, RetryOptions } from './sink/types.js';
export { parseDbUrl, redactUrl, DEFAULT_DB_URL, type Connection, type SqliteConnection, type PostgresConnection, type MssqlConnection } from './sink/connection.js';
export { resolveDbUrl, DB_URL_ENV, DB_PASSWORD_FILE_ENV } from './sink/db-url-from-env.js';
export { SinkError, DriverMissingError, SpoolFullError, SinkClosedError, ForwardError, SchemaDriftError, type SinkErrorCode } from './sink/errors.js';
export type { ForwardFallbackOptions } from './fallback/forward-options.js';
export { useByteSafeDecoding } from './fallback/forwarder.js';
export { conflictReason } from './adapters/conflict-reason.js';
export type { FsyncPolicy } from './spool/spool.js';
export { salvageFrames, salvagedItem, type SalvageResult, type SalvagedRecord } from './spool/salvage.js';
// ---- end writer ----

// ---- receivers (forward + syslog aggregator, record normalisers) -- owned by the receivers issue (#6) ----
export { startAggregator, type Aggregator, type AggregatorOptions, type AggregatorSink } from './receivers/aggregator.js';
export { startForwardServer, type ForwardServer } from './receivers/forward/server.js';
export { DEFAULT_FORWARD_LIMITS, type ForwardLimits, type ForwardServerOptions, type ForwardTls } from './receivers/forward/options.js';
export type { ReceiverTls } from './receivers/tls-server.js';
export type { ForwardSecurity } from './receivers/forward/handshake.js';
export { startSyslogServer, type SyslogServer, type SyslogServerOptions } from './receivers/syslog/server.js';
export { parseSyslog, type SyslogMessage } from './receivers/syslog/parse.js';
export { ReceiverError, type ReceiverErrorCode } from './receivers/errors.js';
export type { ReceiverCounters } from './receivers/counters.js';
export type { EventSink, SinkItem, ReceiverLog, ReceiverLogEntry } from './receivers/types.js';
export { DEFAULT_FORWARD_PORT, DEFAULT_SYSLOG_PORT, DEFAULT_SYSLOG_TLS_PORT, DEFAULT_HEALTH_PORT, DEFAULT_TAG_TEMPLATE } from './receivers/defaults.js';
export { compileTagTemplate } from './normalize/tag-template.js';
export { DEFAULT_HEAP_GROWING_PERCENT, applyHeapGrowingPercent, parseHeapGrowingPercent } from './receivers/heap-growth.js';
export { ConfigError, SERVE_ENV, aggregatorOptionsFrom, flagOf, listSetting, mergeSettings, parseHostPort, settingNames, settingsFromEnv, settingsFromFile, type ServeSettings, type SettingNames } from './receivers/config.js';
export { dockerEventToAudit } from './normalize/docker-events.js';
export { falcoAlertToAudit } from './normalize/falco.js';
export { k8sAuditToAudit } from './normalize/k8s-audit.js';
export { classifyFileLine } from './normalize/file-line.js';
export { isBlankLine } from './normalize/blank-line.js';
// ---- end receivers ----

// Read-only access for reports and `verify --db`.
export * from './reader/index.js';
export { MAX_LINE_CHARS, REJECT_RAW_KEEP } from './sink/prepare.js';
