#!/usr/bin/env node
import { main } from './main.js';

// A reader that stops early (`audit-trail salvage --dry-run FILE | head`) closes
// the pipe: Node ignores SIGPIPE and reports EPIPE on stdout instead, which
// would end in an unhandled error and a stack trace. End as Unix tools do
// when SIGPIPE kills them: silently, with status 128 + 13. Any other failure
// to write the output (ENOSPC on a full disk) is one line and status 2: the
// output is incomplete, which verify's 1 ("a finding") must not be taken for.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  process.stderr.write(`audit-trail: cannot write the output: ${err.code ?? err.message}\n`);
  process.exit(2);
});

main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
    // The work is done. A connection that a hung database never answers
    // (pg's pool waits out its query timeout, minutes) must not keep the
    // process alive past it: serve would outlive its SIGTERM grace period.
    // Once the output is handed to the OS (a slow pipe keeps it waiting),
    // exit; a process with nothing left open has exited before this fires.
    setInterval(() => {
      if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
    }, 1000).unref();
  },
  (err) => {
    process.stderr.write(`audit-trail: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
