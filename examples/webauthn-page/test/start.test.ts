import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ExampleAppOptions } from '../src/app-options.js';
import { routeOptions } from '../src/app-options.js';
import { startWith } from '../src/start.js';

const audit = { emit: () => ({}) } as unknown as ExampleAppOptions['audit'];

describe('startWith (listen, then mount)', () => {
  it('gives the app the origin of the port it got, serves through it, and runs its cleanup on close', async () => {
    const seen: ExampleAppOptions[] = [];
    let cleaned = false;
    const running = await startWith(
      (server, options) => {
        seen.push(options);
        server.on('request', (_req, res) => res.end(options.origin));
        return async () => {
          cleaned = true;
        };
      },
      { audit, port: 0, trustedProxies: ['loopback'] },
    );
    expect(running.port).toBeGreaterThan(0);
    expect(running.origin).toBe(`http://localhost:${running.port}`);
    expect(seen).toEqual([{ audit, origin: running.origin, trustedProxies: ['loopback'] }]);
    expect(await (await fetch(`http://127.0.0.1:${running.port}/`)).text()).toBe(running.origin);
    await running.close();
    expect(cleaned).toBe(true);
    expect(running.server.listening).toBe(false);
  });

  it('keeps an explicit origin and fills the RP ID from it', async () => {
    const running = await startWith(() => undefined, { audit, port: 0, origin: 'https://id.example.com' });
    expect(running.origin).toBe('https://id.example.com');
    expect(routeOptions({ audit, origin: running.origin }, 'rp')).toEqual({
      audit,
      rpName: 'rp',
      rpID: 'id.example.com',
      origin: 'https://id.example.com',
      trustedProxies: [],
    });
    await running.close();
  });

  it('rejects when the port is taken, and frees the port when mounting fails', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    await expect(startWith(() => undefined, { audit, port: taken })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));

    let mountedOn: import('node:http').Server | undefined;
    const failing = startWith((server) => {
      mountedOn = server;
      throw new Error('framework failed to start');
    }, { audit, port: 0 });
    await expect(failing).rejects.toThrow('framework failed to start');
    expect(mountedOn?.listening).toBe(false);
  });
});
