#!/usr/bin/env node
import { main } from './main.js';

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
