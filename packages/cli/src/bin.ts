#!/usr/bin/env node
import { main } from './main.js';

// A reader that stops early (`audit-trail salvage --dry-run FILE | head`) closes
// the pipe: Node ignores SIGPIPE and reports EPIPE on stdout instead, which
// would end in an unhandled error and a stack trace. End as Unix tools do
// when SIGPIPE kills them: silently, with status 128 + 13.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`audit-trail: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
