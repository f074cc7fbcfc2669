import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { resolveSinkOptions } from '../sink/options.js';

const url = 'postgres://h/db';
const ok = { host: 'fluentd', port: 24224 };

describe('fallback options', () => {
  it('refuses values @fluent-org/logger would take as something else (a port it defaults, a timeout firing at once, TLS options from a string)', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ port: 24224 }, 'fallback.host must be a non-empty host name or address, not undefined'],
      [{ host: '', port: 24224 }, 'fallback.host must be a non-empty host name or address, not ""'],
      [{ host: 'fluentd' }, 'fallback.port must be a whole number from 1 to 65535, not undefined'],
      [{ host: 'fluentd', port: '24224' }, 'fallback.port must be a whole number from 1 to 65535, not "24224"'],
      [{ host: 'fluentd', port: 70_000 }, 'fallback.port must be a whole number from 1 to 65535, not 70000'],
      // JSON.stringify throws on these: the check named no option, a TypeError did (found by a review).
      [{ host: 'fluentd', port: 24224n }, 'fallback.port must be a whole number from 1 to 65535, not 24224n'],
      [{ ...ok, timeoutMs: 5000n }, 'fallback.timeoutMs must be a whole number from 1 to 2147483647, not 5000n'],
      [{ ...ok, timeoutMs: 'x' }, 'fallback.timeoutMs must be a whole number from 1 to 2147483647, not "x"'],
      [{ ...ok, timeoutMs: -5 }, 'fallback.timeoutMs must be a whole number from 1 to 2147483647, not -5'],
      [{ ...ok, timeoutMs: 2 ** 31 }, 'fallback.timeoutMs must be a whole number from 1 to 2147483647, not 2147483648'],
      [{ ...ok, tag: '' }, 'fallback.tag must be a non-empty string'],
      [{ ...ok, rejectTag: 5 }, 'fallback.rejectTag must be a non-empty string'],
      [{ ...ok, sharedKey: 123 }, 'fallback.sharedKey must be a string, got number'],
      [{ ...ok, clientHostname: null }, 'fallback.clientHostname must be a string, got null'],
      [{ ...ok, tls: 'yes' }, 'fallback.tls must be true, false or an object of node:tls connect options'],
    ];
    for (const [fallback, message] of cases) {
      expect(() => resolveSinkOptions({ url, fallback: fallback as never }), inspect(fallback)).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION', message }));
    }
  });

  it('takes the documented forms, and keys given as undefined as not given', () => {
    for (const fallback of [ok, { ...ok, timeoutMs: 5000, tag: 'a.b', sharedKey: '', tls: true }, { ...ok, tls: { ca: 'PEM' } }, { ...ok, tls: false, timeoutMs: undefined, sharedKey: undefined }]) {
      expect(resolveSinkOptions({ url, fallback }).fallback, JSON.stringify(fallback)).toMatchObject(ok);
    }
  });
});
