import { createTableStatements } from '@audit-trail/schema';
import { migrateDatabase, redactUrl } from '@audit-trail/ingest-sink';
import type { Command } from '../command.js';
import { commandDb } from '../db-url.js';
import { parseCommandArgs } from '../parse-command-args.js';

const USAGE = `Usage: audit-trail migrate [--db URL] [--print]

Creates the audit tables (security_audit_events, security_audit_rejects) and
their indexes. Idempotent: run it on every deploy. Of a table that exists it
only adds a missing nullable column without a default (no row rewritten);
when one made by an earlier version (or by hand) still cannot hold what this
version writes, it exits 1 listing each with the statement to run: a column
missing, narrower, of another type or NOT NULL; a column of your own NOT NULL
without a default; a unique index the writer relies on that no index of the
table provides (DROP INDEX, then migrate again); a view holding a table's name.

  --db URL     sqlite:./audit.db (default), postgres://user@host/db,
               mssql://user@host:1433/db?encrypt=true&trustServerCertificate=false
               (Babelfish detected by SERVERPROPERTY('babelfish') or @@VERSION,
               or add &babelfish=true)
  --print      print the DDL of the URL's dialect instead of running it

Environment: AUDIT_TRAIL_DB_URL (when --db is absent), AUDIT_TRAIL_DB_PASSWORD_FILE
(a file holding the password, so it never appears on a command line).

Exit status: 0 migrated (or printed); 1 the database failed or a table needs
the listed statements; 2 a usage mistake, such as a database URL it
cannot use (an unknown scheme) or a password file it cannot read.
`;

/** `audit-trail migrate`: applies the generated DDL of the database's dialect. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or update the audit tables (idempotent)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs({ args: argv, options: { db: { type: 'string' }, print: { type: 'boolean' } }, allowPositionals: false });
    const { url, connection: conn } = commandDb(values.db, io);
    if (values.print) {
      const babelfish = conn.dialect === 'mssql' && conn.babelfish === true;
      io.stdout.write(`${createTableStatements(conn.dialect, { babelfish }).join('\n\n')}\n`);
      return 0;
    }
    const { dialect, statements } = await migrateDatabase(conn);
    io.stdout.write(`migrated ${redactUrl(url)} (${dialect}, ${statements} statements, idempotent)\n`);
    return 0;
  },
};
