import { checkInteger, configError, describeValue, isObject, optionalFunction, orDefault, refuseUnknownKeys } from '../config-checks.js';
import { DEFAULT_BODY_LIMIT } from './parse-body.js';

/** Largest `bodyLimit` accepted, in bytes (2^31 - 1, what Node's buffers and both frameworks handle). */
export const MAX_BODY_LIMIT = 2 ** 31 - 1;

/**
 * Checks the options object of an adapter before anything is built: an
 * object, no unknown key (`known` lists the hooks' options and the
 * adapter's own), and `onVerified` a function when given. The hooks'
 * options are checked by `createWebAuthnHooks`; `bodyLimit` and
 * `routePrefix` by the functions below.
 */
export function checkAdapterOptions(options: unknown, known: Readonly<Record<string, true>>, hints: Readonly<Record<string, string>> = {}): void {
  if (!isObject(options)) throw configError(`options must be an object, got ${describeValue(options)}`);
  refuseUnknownKeys(options, known, 'option', hints);
  optionalFunction(options.onVerified, 'options.onVerified');
}

/**
 * `bodyLimit` in bytes: a positive integer. 0 or a negative limit made
 * every request a 413 and NaN or Infinity no limit at all; a string such as
 * `'1mb'` (Express's own notation) is refused rather than read two ways by
 * the two frameworks.
 */
export function resolveBodyLimit(value: unknown): number {
  return checkInteger(orDefault(value, DEFAULT_BODY_LIMIT), 1, MAX_BODY_LIMIT, 'options.bodyLimit', ' (bytes)');
}

/**
 * Fastify's `routePrefix`: empty (routes at the root) or a path starting
 * with `/`. Fastify would register `webauthn/registration/options`, a route
 * no request can reach, and keep `?`, `#` or spaces in the path.
 */
export function resolveRoutePrefix(value: unknown): string {
  const prefix = orDefault(value, '/webauthn');
  if (typeof prefix !== 'string' || !(prefix === '' || prefix.startsWith('/')) || /[\s?#%]/.test(prefix)) {
    throw configError(`options.routePrefix must be "" or a path starting with "/" (no spaces, "?", "#" or "%"), got ${typeof prefix === 'string' ? JSON.stringify(prefix.slice(0, 64)) : describeValue(prefix)}`);
  }
  return prefix;
}
