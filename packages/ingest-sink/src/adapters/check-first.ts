import type { SinkAdapter } from './adapter.js';
import { UntilPassed } from './until-passed.js';

/** The check() failures that say the tables, not the connection, are wrong (check-drift.ts). */
const TABLE_ERRORS = new Set(['SINK_SCHEMA_DRIFT', 'SINK_NOT_MIGRATED']);

/**
 * An adapter whose writes wait for a passing check() while the audit tables
 * are not known to hold what this version writes: from the start when the
 * sink does not migrate (`verified` false), and again whenever a check finds
 * them drifted or missing. A write then runs check() first, until one
 * passes; a failing one fails the write, which the sink retries as an
 * outage, with the events kept in the spool and the drift as `lastError`.
 *
 * Before, a sink that does not migrate (PostgreSQL and SQL Server by default,
 * `ingest --no-migrate`) wrote into drifted tables: its first check ran
 * beside the first write, and the write's success ended the outage the
 * check had begun. A `timestamp` without time zone took every event, and a
 * column narrower than this version's turned its long values into
 * `DB_REFUSED` rejects (found by the session's drift probe).
 */
export function checkFirst(adapter: SinkAdapter, verified: boolean): SinkAdapter {
  const tables = new UntilPassed(() => adapter.check(), verified);
  // Always asks (the periodic check), and closes the gate again on what says the tables are wrong.
  const check = async (): Promise<void> => {
    try {
      await tables.run(true);
    } catch (err) {
      if (TABLE_ERRORS.has((err as { code?: string }).code ?? '')) tables.reset();
      throw err;
    }
  };
  return {
    dialect: adapter.dialect,
    closeToEnd: adapter.closeToEnd,
    migrate: () => adapter.migrate(),
    check,
    async write(batch) {
      if (!tables.hasPassed) await check();
      return adapter.write(batch);
    },
    close: () => adapter.close(),
  };
}
