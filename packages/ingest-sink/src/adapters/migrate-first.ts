import { SchemaDriftError, SinkError } from '../sink/errors.js';
import type { SinkAdapter } from './adapter.js';
import { UntilPassed } from './until-passed.js';

/**
 * An adapter whose migration could not run at start (the database could
 * not be reached: isUnreachable):
 * its next check() or write() runs migrate() first, until one succeeds.
 * The sink starts anyway, spooling what it is given, and the migration is
 * retried as any delivery is, with the retry backoff. Before, `ready`
 * rejected before the spool was opened, and a pino transport lost the lines
 * it held (found by a probe); migrate() is idempotent (ddl.ts), so running
 * it again is harmless.
 */
export function migrateFirst(adapter: SinkAdapter): SinkAdapter {
  const migration = new UntilPassed(() => adapter.migrate());
  const ensure = async (): Promise<void> => {
    try {
      await migration.run();
    } catch (err) {
      // Drift, as migrate() found it: no data error either (it carries no
      // dbCode), and said as itself, not as an unreachable database.
      if (err instanceof SchemaDriftError) throw err;
      // An outage, never a data error (isDataError reads dbCode and the
      // cause's code): delivery retries the batch, and never splits it into
      // rejects for what the DDL hit (found by a review).
      throw new SinkError('SINK_DB', `the migration before delivery failed: ${(err as Error).message}`);
    }
  };
  return {
    dialect: adapter.dialect,
    closeToEnd: adapter.closeToEnd,
    migrate: () => adapter.migrate(),
    async check() {
      await ensure();
      await adapter.check();
    },
    async write(batch) {
      await ensure();
      return adapter.write(batch);
    },
    close: () => adapter.close(),
  };
}
