import type { AuditEvent } from '../audit-event.js';
import { canonicalIp } from '../fields/ip-text.js';
import { utcMillis } from '../fields/utc-millis.js';

/** SQL dialects the table is generated for. `mssql` also serves Babelfish for PostgreSQL. */
export const DIALECTS = ['mssql', 'postgres', 'sqlite'] as const;

/** One of {@link DIALECTS}. */
export type Dialect = (typeof DIALECTS)[number];

/** True for a {@link Dialect}; a list lookup, so `"constructor"` or `"__proto__"` is not one. */
export function isDialect(value: unknown): value is Dialect {
  return (DIALECTS as readonly unknown[]).includes(value);
}

/**
 * Why `value` is not a {@link Dialect}, for the typed errors of the DDL and
 * report-query functions. Babelfish, a name `sql/` uses, is the `mssql`
 * dialect with its own DDL option.
 */
export function unknownDialectMessage(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : value === null ? 'null' : typeof value;
  const hint = typeof value === 'string' && /babelfish/i.test(value) ? '; Babelfish is "mssql" with { babelfish: true }' : '';
  return `unknown SQL dialect ${shown}: expected one of ${DIALECTS.join(', ')}${hint}`;
}

/**
 * Facts about an event that come from the transport, not from the (signed)
 * event: the Fluentd tag, Swarm placement parsed from it, Kubernetes metadata
 * added by Fluent Bit, and the exact text received.
 */
export interface TransportMeta {
  /** The event exactly as received (JSON text); stored in `event_json`. */
  raw: string;
  /** Fluent tag, syslog app name, or 'direct'. */
  source_tag?: string | undefined;
  swarm_node?: string | undefined;
  swarm_service?: string | undefined;
  swarm_task_id?: string | undefined;
  k8s_namespace?: string | undefined;
  k8s_pod?: string | undefined;
  /** The node the pod runs on (Fluent Bit's kubernetes filter: `kubernetes.host`). */
  k8s_node?: string | undefined;
  /** HOSTNAME of the syslog message the event arrived in (RFC 5424 §6.2.4, RFC 3164 §4.1.2). */
  syslog_host?: string | undefined;
  container_id?: string | undefined;
  container_name?: string | undefined;
}

/** A value bound into a row; dates travel as ISO text and are typed by the column. */
export type ColumnValue = string | number | boolean | null;

/** One column of `security_audit_events`: its SQL type per dialect and where its value comes from. */
export interface ColumnDef {
  name: string;
  type: Record<Dialect, string>;
  nullable: boolean;
  /** SQL default per dialect, when the database fills the column. */
  default?: Partial<Record<Dialect, string>>;
  /** Computes the value from the event (undefined for database-filled columns). */
  from?: (event: AuditEvent, meta: TransportMeta) => ColumnValue | undefined;
  /**
   * True when the column is a projection of the signed event: `verify --db`
   * reports PROJECTION_MISMATCH when it differs from `event_json`.
   */
  projection: boolean;
  /**
   * The day of the version that added the column. `migrate` adds it to older
   * tables without rewriting a row, so rows stored before hold NULL: readers
   * fall back to `event_json` for them (the reports' node), and `verify --db`
   * does not take that NULL for an edit.
   */
  addedIn?: string;
  description: string;
}

const text = (n: number): Record<Dialect, string> => ({ mssql: `NVARCHAR(${n})`, postgres: `VARCHAR(${n})`, sqlite: 'TEXT' });
/**
 * Single-byte text on SQL Server: only for values the schema or the
 * transport restricts to ASCII (hex ids, base64url, IP addresses, enums).
 * Anything else would be stored with `?` for characters outside the
 * column's code page, so it is text() (NVARCHAR) even when usually ASCII.
 */
const ascii = (n: number): Record<Dialect, string> => ({ mssql: `VARCHAR(${n})`, postgres: `VARCHAR(${n})`, sqlite: 'TEXT' });
const bigint: Record<Dialect, string> = { mssql: 'BIGINT', postgres: 'BIGINT', sqlite: 'INTEGER' };
const timestamp: Record<Dialect, string> = { mssql: 'DATETIME2(3)', postgres: 'TIMESTAMPTZ(3)', sqlite: 'TEXT' };

type Ev = AuditEvent & Record<string, any>;
const detail = (e: Ev, obj: string, key: string) => e[obj]?.[key] as ColumnValue | undefined;

/**
 * `container_id`: the container the event is about, else the one its
 * producer ran in. A container event (it has a `container` object) is about
 * the container it names, whose id may be unknown (a Kubernetes audit event
 * names a pod and a container name, no id): the transport's container is
 * then the collector's, which the event is not about, so it is not used.
 */
function containerId(event: AuditEvent, m: TransportMeta): ColumnValue | undefined {
  const e = event as Ev;
  if (e.container) return (e.container.id as string | undefined) ?? e.runtime?.container_id;
  return e.runtime?.container_id ?? m.container_id;
}

/** `code: message`, the shape of the reference table's `error_details`. */
export function errorDetails(e: AuditEvent): string | undefined {
  return e.error ? `${e.error.code}: ${e.error.message}` : undefined;
}

/**
 * The columns of `security_audit_events`, in table order. The reference
 * table's analyst-facing names are kept (`event_timestamp`, `user_agent_raw`,
 * `error_details`, `swarm_*`...) so its 90-day failure query runs unchanged;
 * its defects are fixed: 64-bit `sign_count`, `credential_id` wide enough for
 * 1023-byte ids (WebAuthn §7.1), nullable Swarm columns, `event_id` unique.
 */
export const COLUMNS: readonly ColumnDef[] = [
  {
    name: 'id',
    type: { mssql: 'BIGINT IDENTITY(1,1)', postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY', sqlite: 'INTEGER' },
    nullable: false,
    projection: false,
    description: 'Surrogate key. Not evidence: identity values have gaps after restarts and rollbacks.',
  },
  {
    name: 'event_id',
    type: { mssql: 'CHAR(36)', postgres: 'UUID', sqlite: 'TEXT' },
    nullable: false,
    from: (e) => e.event_id,
    projection: true,
    description: 'UUIDv7 from the producer; duplicates are ignored (idempotency key).',
  },
  {
    name: 'event_timestamp',
    type: timestamp,
    nullable: false,
    from: (e) => utcMillis(e.event_time),
    projection: true,
    description: 'When the event happened (UTC).',
  },
  {
    name: 'ingested_at',
    type: timestamp,
    nullable: false,
    default: { mssql: 'SYSUTCDATETIME()', postgres: 'now()', sqlite: "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))" },
    projection: false,
    description: 'When the row was committed (UTC).',
  },
  { name: 'event_type', type: ascii(50), nullable: false, from: (e) => e.event_type, projection: true, description: 'Event type, e.g. WEBAUTHN_AUTH_FAILURE.' },
  { name: 'outcome', type: ascii(16), nullable: false, from: (e) => e.outcome, projection: true, description: 'success, failure or unknown.' },
  { name: 'severity', type: { mssql: 'SMALLINT', postgres: 'SMALLINT', sqlite: 'INTEGER' }, nullable: false, from: (e) => e.severity, projection: true, description: 'OCSF severity_id (1-6).' },
  { name: 'service', type: text(128), nullable: false, from: (e) => e.producer.service, projection: true, description: 'Producing service.' },
  { name: 'user_id', type: text(256), nullable: true, from: (e) => e.user_id, projection: true, description: 'Opaque user id.' },
  {
    name: 'client_ip',
    type: ascii(45),
    nullable: true,
    // One client, one value in the reports (bursts group by it): the schema
    // takes any spelling of an address, and only this package's logger
    // writes the canonical one; `2001:DB8::7` and `2001:db8:0:0:0:0:0:7`
    // were two IPs (found by a probe). event_json keeps the spelling signed.
    from: (e) => (e.client_ip === undefined ? undefined : canonicalIp(e.client_ip)),
    projection: true,
    description: 'Client IPv4/IPv6 address as derived by the framework, in canonical form (RFC 5952 for IPv6; an IPv4-mapped address as IPv4).',
  },
  { name: 'user_agent_raw', type: text(1024), nullable: true, from: (e) => e.user_agent, projection: true, description: 'User-Agent header, at most 1024 characters.' },
  { name: 'error_details', type: text(600), nullable: true, from: errorDetails, projection: true, description: '"CODE: message" for failures.' },
  { name: 'credential_id', type: ascii(1364), nullable: true, from: (e) => detail(e, 'webauthn', 'credential_id'), projection: true, description: 'WebAuthn credential id, base64url (up to 1023 bytes).' },
  { name: 'sign_count', type: bigint, nullable: true, from: (e) => detail(e, 'webauthn', 'sign_count'), projection: true, description: 'WebAuthn signature counter (uint32).' },
  { name: 'swarm_node', type: text(256), nullable: true, from: (e, m) => e.runtime?.swarm_node ?? m.swarm_node, projection: false, description: 'Swarm node host name (event, else Fluentd tag).' },
  { name: 'swarm_service', type: text(256), nullable: true, from: (e, m) => e.runtime?.swarm_service ?? m.swarm_service, projection: false, description: 'Swarm service name.' },
  { name: 'swarm_task_id', type: text(64), nullable: true, from: (e, m) => e.runtime?.swarm_task_id ?? m.swarm_task_id, projection: false, description: 'Swarm task id.' },
  { name: 'k8s_namespace', type: text(253), nullable: true, from: (e, m) => e.runtime?.k8s_namespace ?? m.k8s_namespace, projection: false, description: 'Kubernetes namespace.' },
  { name: 'k8s_pod', type: text(253), nullable: true, from: (e, m) => e.runtime?.k8s_pod ?? m.k8s_pod, projection: false, description: 'Kubernetes pod.' },
  { name: 'k8s_node', type: text(253), nullable: true, from: (e, m) => e.runtime?.k8s_node ?? m.k8s_node, projection: false, addedIn: '2026-12-07', description: 'Kubernetes node the pod runs on (event, else Fluent Bit kubernetes.host).' },
  { name: 'syslog_host', type: text(255), nullable: true, from: (_e, m) => m.syslog_host, projection: false, addedIn: '2026-12-07', description: 'HOSTNAME of the syslog message the event arrived in: the node that sent it, as the sender names it.' },
  { name: 'container_id', type: ascii(64), nullable: true, from: containerId, projection: false, description: 'Container the event is about (or its producer ran in).' },
  { name: 'container_name', type: text(256), nullable: true, from: (e, m) => detail(e, 'container', 'name') ?? m.container_name, projection: false, description: 'Container name.' },
  { name: 'image', type: text(512), nullable: true, from: (e) => detail(e, 'container', 'image'), projection: true, description: 'Container image.' },
  { name: 'command_line', type: text(4000), nullable: true, from: (e) => detail(e, 'process', 'command_line'), projection: true, description: 'Command executed in the container.' },
  { name: 'source_tag', type: text(256), nullable: true, from: (_e, m) => m.source_tag, projection: false, description: 'Fluent tag or syslog app the event arrived with.' },
  { name: 'chain_id', type: { mssql: 'CHAR(36)', postgres: 'UUID', sqlite: 'TEXT' }, nullable: true, from: (e) => e.integrity?.chain_id, projection: true, description: 'Signed chain (docs/integrity.md).' },
  { name: 'seq', type: bigint, nullable: true, from: (e) => e.integrity?.seq, projection: true, description: 'Position in the chain, from 1, gap-free.' },
  { name: 'epoch', type: bigint, nullable: true, from: (e) => e.integrity?.epoch, projection: true, description: 'Key epoch.' },
  { name: 'kid', type: text(64), nullable: true, from: (e) => e.integrity?.kid, projection: true, description: 'Key id.' },
  { name: 'prev_mac', type: ascii(44), nullable: true, from: (e) => e.integrity?.prev, projection: true, description: 'MAC of the previous record (base64url).' },
  { name: 'mac', type: ascii(44), nullable: true, from: (e) => e.integrity?.mac, projection: true, description: 'HMAC-SHA256 of this record (base64url).' },
  { name: 'event_json', type: { mssql: 'NVARCHAR(MAX)', postgres: 'TEXT', sqlite: 'TEXT' }, nullable: false, from: (_e, m) => m.raw, projection: false, description: 'The event exactly as received; what signatures are checked against.' },
];

/** Columns the writer supplies (everything but the database-filled ones), in table order. */
export const INSERT_COLUMNS: readonly ColumnDef[] = COLUMNS.filter((c) => c.from !== undefined);

/** Name of the events table. */
export const EVENTS_TABLE = 'security_audit_events';

/** Name of the table holding input that failed validation, with its reason. */
export const REJECTS_TABLE = 'security_audit_rejects';

/**
 * Builds the row for an event: one value per {@link INSERT_COLUMNS} entry, in
 * order, `null` where absent. Timestamps stay ISO-8601 text.
 */
export function toRow(event: AuditEvent, meta: TransportMeta): ColumnValue[] {
  return INSERT_COLUMNS.map((c) => c.from!(event, meta) ?? null);
}

/** Indexes of `security_audit_events`, shared by all dialects. */
export interface IndexDef {
  name: string;
  columns: string[];
  include?: string[];
  unique?: boolean;
  /** Only rows where this column is not null (SQL Server filtered index; partial index elsewhere). */
  whereNotNull?: string;
  description: string;
}

/**
 * Indexes: the time index, the failure-report index and the two uniques
 * (idempotency, chain position). Indexes on `user_id` or `client_ip` are
 * left out on purpose: their keys arrive in random order, and on SQLite the
 * pair costs 43% of insert throughput (bench/sink-sqlite-paths.ts: 65k ->
 * 114k rows/s without them) while no shipped report needs them. Add them
 * where analysts search by user or address (sql/README.md).
 */
export const INDEXES: readonly IndexDef[] = [
  { name: 'UX_security_audit_events_event_id', columns: ['event_id'], unique: true, description: 'Idempotency: a resent event is ignored.' },
  { name: 'UX_security_audit_events_chain_seq', columns: ['chain_id', 'seq'], unique: true, whereNotNull: 'chain_id', description: 'One record per chain position.' },
  { name: 'IX_security_audit_events_timestamp', columns: ['event_timestamp'], description: 'Time-range scans.' },
  { name: 'IX_security_audit_events_type_time', columns: ['event_type', 'event_timestamp'], include: ['user_id', 'client_ip'], description: 'Failures of type X since T, with user and IP.' },
];

/** Columns of `security_audit_rejects`: what arrived, when, from where, and why it was refused. */
export const REJECT_COLUMNS: readonly ColumnDef[] = [
  COLUMNS[0]!,
  { ...COLUMNS[3]!, name: 'received_at', description: 'When the input was refused (UTC); the first time, when the same refusal was sent again.' },
  { name: 'source', type: text(256), nullable: false, projection: false, description: 'Where it came from: receiver, tag, file.' },
  { name: 'reason', type: text(4000), nullable: false, projection: false, description: 'Why it was refused (schema issues as JSON, or a decode error).' },
  { name: 'raw_payload', type: { mssql: 'NVARCHAR(MAX)', postgres: 'TEXT', sqlite: 'TEXT' }, nullable: false, projection: false, description: 'The input as received (invalid UTF-8 replaced by U+FFFD).' },
  {
    name: 'reject_key',
    type: ascii(43),
    // Nullable: added to tables made before it (migrate adds it; older rows keep NULL).
    nullable: true,
    projection: false,
    description: 'SHA-256 (base64url) of source, reason and raw_payload: the same refusal is stored once, however often it is resent or replayed.',
  },
];

/** Indexes of `security_audit_rejects`: time scans, and the idempotency of a refusal. */
export const REJECT_INDEXES: readonly IndexDef[] = [
  { name: 'IX_security_audit_rejects_received', columns: ['received_at'], description: 'Time-range scans.' },
  // Filtered: SQL Server lets a unique index hold one NULL only, and rows written before the key have none.
  { name: 'UX_security_audit_rejects_reject_key', columns: ['reject_key'], unique: true, whereNotNull: 'reject_key', description: 'Idempotency: a refusal sent again (a replay, a transport retry) is ignored.' },
];

/** One audit table: its name, columns and indexes. */
export interface TableDef {
  name: string;
  columns: readonly ColumnDef[];
  indexes: readonly IndexDef[];
}

/**
 * The audit tables, in the order the writer locks them (each batch inserts
 * events, then rejects), which is the order `migrate()` alters them in
 * (ddl.ts `migrationPlan`).
 */
export const AUDIT_TABLE_DEFS: readonly TableDef[] = [
  { name: EVENTS_TABLE, columns: COLUMNS, indexes: INDEXES },
  { name: REJECTS_TABLE, columns: REJECT_COLUMNS, indexes: REJECT_INDEXES },
];
