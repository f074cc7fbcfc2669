import type { Command } from '../command.js';

/** `audit-trail demo` (not built yet). */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'not built yet',
  usage: 'audit-trail demo: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail demo is not built yet\n');
    return 1;
  },
};
