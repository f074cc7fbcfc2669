import { describe, expect, it } from 'vitest';
import { configFromEnv, ExampleConfigError } from '../src/config.js';

describe('configFromEnv', () => {
  it('defaults to 127.0.0.1:3000, no origin, no trusted proxy', () => {
    expect(configFromEnv({})).toEqual({ host: '127.0.0.1', port: 3000, trustedProxies: [] });
    expect(configFromEnv({ PORT: '' }).port).toBe(3000);
  });

  it('reads every setting, splitting and trimming TRUSTED_PROXIES', () => {
    const env = { PORT: '0', HOST: '0.0.0.0', ORIGIN: 'https://id.example.com', RP_ID: 'example.com', TRUSTED_PROXIES: ' 10.0.0.0/8, ,loopback ' };
    expect(configFromEnv(env)).toEqual({
      host: '0.0.0.0',
      port: 0,
      origin: 'https://id.example.com',
      rpID: 'example.com',
      trustedProxies: ['10.0.0.0/8', 'loopback'],
    });
  });

  it.each(['65536', '-1', '3000.5', '0x10', '1e3', 'abc', '80\nFAKE: line', `\u001b[31m${'9'.repeat(10_000)}`])(
    'rejects PORT=%j with a typed error that cannot inject lines',
    (port) => {
      let error: unknown;
      try {
        configFromEnv({ PORT: port });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ExampleConfigError);
      const e = error as ExampleConfigError;
      expect(e.code).toBe('EXAMPLE_PORT_INVALID');
      expect(e.message).not.toMatch(/[\n\u001b]/);
      expect(e.message.length).toBeLessThan(200);
    },
  );
});
