/**
 * The BUILT package (packages/schema/dist) loads in a plain Node process by
 * both `import` and `require`, through the exports map, with no TypeScript
 * loader and no custom conditions. Build first: `cd packages/schema && npx tsup`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPORT_QUERY_NAMES } from '../src/table/queries.js';
import { createTableStatements } from '../src/table/ddl.js';
import { REPO_ROOT } from './support/report-suite.js';

const run = promisify(execFile);
const DIST = join(REPO_ROOT, 'packages', 'schema', 'dist');
const BUILD_HINT = 'build it first: (cd packages/schema && npx tsup)';

/** What the child prints: which file loaded and whether the main functions work. */
const PROBE = `
  const event = m.exampleEvents.WEBAUTHN_AUTH_FAILURE;
  const parsed = m.parseAuditEvent(JSON.stringify(event));
  const bad = m.parseAuditEvent('{"event_type":"NOPE"}');
  console.log(JSON.stringify({
    parsed: parsed.ok && parsed.event.event_id === event.event_id,
    rejected: !bad.ok && bad.issues[0].path === 'event_type',
    ocsf: typeof m.toOcsf === 'function' && m.toOcsf(event).type_uid,
    ecs: typeof m.toEcs === 'function' && m.toEcs(event).event.action,
    ddl: m.createTableStatements('postgres').length,
    queries: Object.keys(m.REPORT_QUERIES ?? {}).length,
    id: /^[0-9a-f-]{36}$/.test(m.newEventId()),
  }));
`;

async function node(args: string[]): Promise<Record<string, unknown>> {
  // A clean environment: no NODE_OPTIONS, so no loader or --conditions leaks in from the test runner.
  const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' } });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const EXPECTED = {
  parsed: true,
  rejected: true,
  ocsf: 300201,
  ecs: 'webauthn-auth-failure',
  // The built package must agree with the sources it was built from.
  ddl: createTableStatements('postgres').length,
  queries: REPORT_QUERY_NAMES.length,
  id: true,
};

describe('built package', () => {
  it('has been built', () => {
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(join(DIST, f)), `packages/schema/dist/${f} is missing; ${BUILD_HINT}`).toBe(true);
    }
  });

  it('loads with import() from ESM, resolving to dist/index.js', async () => {
    const out = await node([
      '--input-type=module',
      '-e',
      `const m = await import('@audit-trail/schema');
       ${PROBE}`,
    ]).catch((err: Error) => {
      throw new Error(`import of the built package failed (${BUILD_HINT}): ${err.message}`);
    });
    expect(out, `dist looks stale; ${BUILD_HINT}`).toEqual(EXPECTED);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `console.log(import.meta.resolve('@audit-trail/schema'))`], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout.trim()).toMatch(/packages\/schema\/dist\/index\.js$/);
  });

  it('loads with require() from CommonJS, resolving to dist/index.cjs', async () => {
    const out = await node([
      '-e',
      `const m = require('@audit-trail/schema');
       if (!require.resolve('@audit-trail/schema').endsWith('dist/index.cjs')) throw new Error('resolved ' + require.resolve('@audit-trail/schema'));
       ${PROBE}`,
    ]).catch((err: Error) => {
      throw new Error(`require of the built package failed (${BUILD_HINT}): ${err.message}`);
    });
    expect(out, `dist looks stale; ${BUILD_HINT}`).toEqual(EXPECTED);
  });

  it('ships the JSON Schemas for consumers that do not use zod', async () => {
    const out = await node([
      '-e',
      `const s = require('@audit-trail/schema/json-schema/audit-event.json');
       console.log(JSON.stringify({ id: s.$id, n: s.oneOf.length }));`,
    ]);
    expect(out).toEqual({ id: expect.stringMatching(/\/v\d+\.\d+\.\d+\/audit-event\.json$/), n: 13 });
  });
});
