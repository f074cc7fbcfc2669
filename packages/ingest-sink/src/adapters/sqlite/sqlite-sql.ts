import { EVENTS_TABLE, INSERT_COLUMNS, REJECTS_TABLE } from '@audit-trail/schema';

/**
 * Prepared INSERT of one event; a resent event_id changes nothing (SQLite
 * UPSERT, 3.24+). `ingested_at` is bound last, one value per transaction
 * (sqlite-core.js), not left to the column's `strftime(..., 'now')` default:
 * PostgreSQL's `now()` and SQL Server's `SYSUTCDATETIME()` in one
 * `INSERT ... SELECT` give every row of a batch the same time, and so does
 * this; and the default, evaluated per row, was 8% of an insert's
 * instructions (45.5k -> 42.0k per row inside better-sqlite3's run():
 * bench/sqlite-bind-instructions.mjs, modes row-default and spread).
 */
export const SQLITE_INSERT_EVENT = `INSERT INTO ${EVENTS_TABLE} (${INSERT_COLUMNS.map((c) => c.name).join(', ')}, ingested_at) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}, ?) ON CONFLICT(event_id) DO NOTHING`;

/** INSERT of one reject (received_at is the column default); the same refusal again changes nothing. */
export const SQLITE_INSERT_REJECT = `INSERT INTO ${REJECTS_TABLE} (source, reason, raw_payload, reject_key) VALUES (?, ?, ?, ?) ON CONFLICT(reject_key) WHERE reject_key IS NOT NULL DO NOTHING`;

/** What a stored event_id holds (only asked when an insert did nothing). */
export const SQLITE_STORED_EVENT = `SELECT event_json FROM ${EVENTS_TABLE} WHERE event_id = ?`;

/** Who holds a chain position. */
export const SQLITE_HOLDER = `SELECT event_id FROM ${EVENTS_TABLE} WHERE chain_id = ? AND seq = ?`;

/** Index of event_json among the insert columns. */
export const RAW_INDEX = INSERT_COLUMNS.findIndex((c) => c.name === 'event_json');

/** Indexes of event_id, chain_id and seq among the insert columns (the core reads them from each values array). */
export const EVENT_ID_INDEX = INSERT_COLUMNS.findIndex((c) => c.name === 'event_id');
export const CHAIN_ID_INDEX = INSERT_COLUMNS.findIndex((c) => c.name === 'chain_id');
export const SEQ_INDEX = INSERT_COLUMNS.findIndex((c) => c.name === 'seq');
