import type { Command } from '../command.js';

/** `audit-trail report` (not built yet). */
export const reportCommand: Command = {
  name: 'report',
  summary: 'not built yet',
  usage: 'audit-trail report: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail report is not built yet\n');
    return 1;
  },
};
