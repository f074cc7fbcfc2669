import { MAX_TIMER_MS } from '../sink/max-timer-ms.js';
import { ConfigError } from './config-error.js';

/**
 * Limits as a caller gives them: any of them, each a number or undefined.
 * An undefined limit is one not given (its default applies: checkLimits), as
 * a value read from an unset environment variable or config key is.
 */
export type GivenLimits<L> = { [K in keyof L]?: L[K] | undefined };

/**
 * A receiver's limits with `defaults` filled in, after checking what was
 * given: only known keys, each a positive whole number (a time in ms no
 * longer than a Node timer takes). A limit that is a string, negative or
 * NaN would otherwise fail at the first connection (a RangeError thrown from
 * a socket callback, which ends the process) or never apply; a misspelt key
 * would leave the default in place unnoticed.
 */
export function checkLimits<L extends { [K in keyof L]: number }>(what: string, given: unknown, defaults: L): L {
  if (given === undefined) return { ...defaults };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('CONFIG_INVALID', `${what} must be an object of limits`);
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults)) throw new ConfigError('CONFIG_INVALID', `${what}.${key.slice(0, 64)} is not a limit (expected ${Object.keys(defaults).join(', ')})`);
    if (value === undefined) continue;
    const max = key.endsWith('Ms') ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
      throw new ConfigError('CONFIG_INVALID', `${what}.${key} must be a whole number from 1 to ${max} (got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : String(value)})`);
    }
  }
  return { ...defaults, ...(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<L>) };
}
