import type { Command } from '../command.js';

/** `audit-trail serve` (not built yet). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'not built yet',
  usage: 'audit-trail serve: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail serve is not built yet\n');
    return 1;
  },
};
