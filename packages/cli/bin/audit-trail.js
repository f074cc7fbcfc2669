#!/usr/bin/env node
// The `audit-trail` command. A committed shim, because npm links a package's
// bins before its build runs (`npm ci` builds through the root prepare
// script) and skips a bin whose target does not exist yet.
import '../dist/bin.js';
