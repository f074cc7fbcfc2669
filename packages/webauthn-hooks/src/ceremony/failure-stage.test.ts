import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyError, constantPrefix, FAILURE_CODES, internalFailure } from './failure-stage.js';

/** Every `new Error(`...`)` template literal in the JavaScript files under `dir`. */
function errorTemplates(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/new Error\(`((?:[^`\\]|\\.)*)`\)/g)) out.push(m[1]!);
  }
  return out;
}

/** Where a package is installed (the directory of its package.json), as this package resolves it (exports may hide package.json). */
function installed(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name) {
    if (dirname(dir) === dir) throw new Error(`no package.json of ${name} above its entry`);
    dir = dirname(dir);
  }
  return dir;
}

// Messages as thrown by @simplewebauthn/server 14.0.3 (esm/registration, esm/authentication, esm/helpers).
const CASES: Array<[string, string, string?]> = [
  ['Unexpected authentication response challenge "abc", expected "def"', 'challenge'],
  ['Custom challenge verifier returned false for registration response challenge "abc"', 'challenge'],
  ['Unexpected registration response origin "https://evil", expected "https://good"', 'origin'],
  ['Unexpected authentication response origin "x", expected one of: a, b', 'origin'],
  ['Unexpected cross-origin authentication response top origin of "x", expected: y', 'top_origin'],
  ['Unexpected top origin of "x" within a non-cross-origin authentication response.', 'top_origin'],
  ['Unexpected RP ID hash', 'rp_id', 'UnexpectedRPIDHash'],
  ['User presence was required, but user was not present', 'user_presence'],
  ['User not present during authentication', 'user_presence'],
  ['User verification required, but user could not be verified', 'user_verification'],
  ['User verification was required, but user could not be verified', 'user_verification'],
  ['Unexpected public key alg "-8", expected one of "-7"', 'unsupported_alg'],
  ['Credential public key was missing numeric alg', 'unsupported_alg'],
  ['Single-device credential indicated that it was backed up, which should be impossible.', 'backup_flags', 'InvalidBackupFlags'],
  ['Unsupported Attestation Format: weird', 'attestation'],
  ['None attestation had unexpected attestation statement', 'attestation'],
  ['Unexpected authentication response type: webauthn.create', 'type'],
  ['Unexpected credential type evil\nline, expected "public-key"', 'type'],
  ['Credential ID was not base64url-encoded', 'malformed_response'],
  ['Authenticator data was 3 bytes, expected at least 37 bytes', 'malformed_response'],
  ['Leftover bytes detected while parsing authenticator data', 'malformed_response'],
  ['Error decoding authenticator extensions: Unexpected end of CBOR data', 'malformed_response'],
  ['Response counter value 1 was lower than expected 2', 'counter'],
  ['connection refused', 'internal'],
];

describe('classifyError maps SimpleWebAuthn messages to stages and codes', () => {
  it.each(CASES)('%s -> %s', (message, stage, name) => {
    const err = new Error(message);
    if (name) err.name = name;
    const f = classifyError(err);
    expect(f.stage).toBe(stage);
    expect(f.code).toBe(FAILURE_CODES[f.stage]);
    expect(f.code).toMatch(/^[A-Z][A-Z0-9_]{0,63}$/);
  });

  it('keeps only the constant part of a message: echoed values are dropped', () => {
    expect(constantPrefix('Unexpected authentication response challenge "SECRET", expected "OURS"')).toBe(
      'Unexpected authentication response challenge',
    );
    expect(constantPrefix('Unexpected credential type evil\nline, expected "public-key"')).toBe('Unexpected credential type');
    expect(constantPrefix('Unsupported Attestation Format: \u001b[31mx')).toBe('Unsupported Attestation Format');
    expect(constantPrefix('"')).toBe('verification failed');
  });

  it('never logs, nor classifies by, a value the installed libraries interpolate into a message: every template, with hostile text in each placeholder', () => {
    // The client controls these values (a COSE alg can be CBOR text): what they say must reach neither the message nor the stage.
    const hostile = 'Response counter value reset by EVIL challenge origin';
    const libraries = [join(installed('@simplewebauthn/server'), 'esm'), join(installed('@levischuck/tiny-cbor'), 'esm')];
    const templates = libraries.flatMap(errorTemplates).filter((t) => t.includes('${') && !t.startsWith('${'));
    expect(templates.length).toBeGreaterThan(20);
    for (const t of templates) {
      const message = t.replace(/\$\{[^}]*\}/g, hostile);
      const f = classifyError(new Error(message));
      expect(f.message, t).not.toContain('EVIL');
      // The stage comes from the library's own words: the template with its placeholders empty.
      expect(f.stage, t).toBe(classifyError(new Error(t.replace(/\$\{[^}]*\}/g, ''))).stage);
    }
  });

  it('a client-chosen COSE alg cannot make a registration failure read as a counter regression (found by a probe)', () => {
    const f = classifyError(new Error('Attestation statement contained invalid alg Response counter value reset - possible cloned authenticator (Packed)'));
    expect(f).toMatchObject({ stage: 'attestation', code: 'WEBAUTHN_ATTESTATION_INVALID', message: 'Attestation statement contained invalid alg' });
  });

  it('bytes that are not CBOR, or nest until the stack overflows, are a malformed response, not an internal error', () => {
    for (const message of ['Length not supported or not well formed', 'No data', 'Unsupported or not well formed at 7']) expect(classifyError(new Error(message)).stage, message).toBe('malformed_response');
    expect(classifyError(new RangeError('Maximum call stack size exceeded')).stage).toBe('malformed_response');
  });

  it('a store or emitter failure is logged by its class and system code, never its text (which may hold a connection string)', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2'), { code: 'ECONNREFUSED' });
    expect(internalFailure(err)).toEqual({ stage: 'internal', code: 'WEBAUTHN_INTERNAL_ERROR', message: "Error (ECONNREFUSED) in a store or the audit emitter; see the application's logs", type: 'Error' });
    expect(internalFailure(Object.assign(new TypeError('x'), { code: 'not a code\n' })).message).toBe("TypeError in a store or the audit emitter; see the application's logs");
  });

  it('non-Error throws are classified as internal with a bounded message', () => {
    const f = classifyError('x'.repeat(10_000));
    expect(f.stage).toBe('internal');
    expect(f.message.length).toBeLessThanOrEqual(512);
  });
});
