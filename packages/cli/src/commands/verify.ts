import type { Command } from '../command.js';

/** `audit-trail verify` (not built yet). */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'not built yet',
  usage: 'audit-trail verify: not built yet',
  async run(_argv, io) {
    io.stderr.write('audit-trail verify is not built yet\n');
    return 1;
  },
};
