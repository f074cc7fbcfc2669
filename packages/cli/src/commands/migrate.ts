import type { Command } from '../command.js';

/** `audit-trail migrate` (not built yet). */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'not built yet',
  usage: 'audit-trail migrate: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail migrate is not built yet\n');
    return 1;
  },
};
