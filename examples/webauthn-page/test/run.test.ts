import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..', '..');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');

/** `npm start` of the Express example (what its package.json runs), with `env` added; resolves with its exit code and output. */
async function start(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['-C', '@audit-trail/source', join(REPO, 'examples/express-webauthn/src/server.ts')], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('runExampleFromEnv (npm start of an example)', () => {
  it('refuses a bad PORT with one line naming it and exit 2, not a stack trace', async () => {
    const r = await start({ PORT: 'abc' });
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'express-webauthn: PORT must be a port number (0-65535), got "abc"\n' });
  }, 40_000);

  it('refuses an ORIGIN, RP_ID or TRUSTED_PROXIES the hooks refuse with one line naming it and exit 2, not a stack trace', async () => {
    const proxies = await start({ PORT: '0', TRUSTED_PROXIES: '0.0.0.0/0' });
    expect(proxies.code).toBe(2);
    expect(proxies.stdout).toBe('');
    expect(proxies.stderr).toMatch(/^express-webauthn: trusted proxy "0\.0\.0\.0\/0" covers too many addresses[^\n]*\(check ORIGIN, RP_ID and TRUSTED_PROXIES\)\n$/);
    const rpId = await start({ PORT: '0', RP_ID: 'Example.com' });
    expect(rpId.code).toBe(2);
    expect(rpId.stderr).toMatch(/^express-webauthn: options\.rpID "Example\.com" must be lowercase[^\n]*\n$/);
  }, 60_000);

  it('refuses an ORIGIN that is not a URL with one line naming it and exit 2, not a stack trace', async () => {
    // `notanorigin` threw a TypeError out of the RP ID default; `localhost:3000` parses as a URL of scheme `localhost:`.
    for (const origin of ['notanorigin', 'localhost:3000']) {
      const r = await start({ PORT: '0', ORIGIN: origin });
      expect(r).toEqual({ code: 2, stdout: '', stderr: `express-webauthn: ORIGIN must be an origin such as http://localhost:3000, got "${origin}"\n` });
    }
  }, 60_000);

  it('says in one line that the port is taken, with exit 1, and writes no audit line', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const r = await start({ PORT: String(port) });
      expect(r).toEqual({ code: 1, stdout: '', stderr: `express-webauthn: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n` });
    } finally {
      taken.close();
    }
  }, 40_000);
});
