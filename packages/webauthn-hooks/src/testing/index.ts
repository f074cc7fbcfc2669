/**
 * Test tools for relying parties: a software authenticator with real keys and
 * signatures, and helpers that tamper with its responses the way attackers
 * do. Import from `@audit-trail/webauthn-hooks/testing` in tests and demos;
 * it needs the optional peer dependency `nid-webauthn-emulator`.
 */
export { SoftAuthenticator, type SoftAuthenticatorOptions } from './soft-authenticator.js';
export { counterOf, flipSignatureByte, rewriteClientData, rewriteCounter, rewriteRpId } from './tamper.js';
