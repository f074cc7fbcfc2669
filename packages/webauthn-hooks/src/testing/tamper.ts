import { createHash } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

// Authenticator data (WebAuthn §6.1): rpIdHash[32] | flags[1] | signCount[4, big-endian] | ...
const COUNTER_OFFSET = 33;

function withAuthData(r: AuthenticationResponseJSON, edit: (data: Buffer) => void): AuthenticationResponseJSON {
  const data = Buffer.from(r.response.authenticatorData, 'base64url');
  edit(data);
  return { ...r, response: { ...r.response, authenticatorData: data.toString('base64url') } };
}

/** The same assertion with one signature byte flipped: a bad signature. */
export function flipSignatureByte(r: AuthenticationResponseJSON): AuthenticationResponseJSON {
  const sig = Buffer.from(r.response.signature, 'base64url');
  sig[sig.length - 5]! ^= 0x01;
  return { ...r, response: { ...r.response, signature: sig.toString('base64url') } };
}

/** The assertion with its counter rewritten and NOT re-signed: a forgery claiming a low counter. */
export function rewriteCounter(r: AuthenticationResponseJSON, counter: number): AuthenticationResponseJSON {
  return withAuthData(r, (data) => data.writeUInt32BE(counter, COUNTER_OFFSET));
}

/** The assertion with the RP ID hash of another site (not re-signed). */
export function rewriteRpId(r: AuthenticationResponseJSON, rpId: string): AuthenticationResponseJSON {
  return withAuthData(r, (data) => createHash('sha256').update(rpId).digest().copy(data, 0));
}

/** Reads the signature counter of an assertion. */
export function counterOf(r: AuthenticationResponseJSON): number {
  return Buffer.from(r.response.authenticatorData, 'base64url').readUInt32BE(COUNTER_OFFSET);
}

/** Replaces a field of clientDataJSON (not re-signed). */
export function rewriteClientData(r: AuthenticationResponseJSON, patch: Record<string, unknown>): AuthenticationResponseJSON {
  const cd = JSON.parse(Buffer.from(r.response.clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>;
  const clientDataJSON = Buffer.from(JSON.stringify({ ...cd, ...patch })).toString('base64url');
  return { ...r, response: { ...r.response, clientDataJSON } };
}
