import type { Command } from '../command.js';

/** `audit-trail ingest` (not built yet). */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'not built yet',
  usage: 'audit-trail ingest: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail ingest is not built yet\n');
    return 1;
  },
};
