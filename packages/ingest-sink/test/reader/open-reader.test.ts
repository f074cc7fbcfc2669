import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openReader } from '../../src/reader/index.js';
import { SinkError } from '../../src/index.js';

describe('openReader', () => {
  it('gives up on a PostgreSQL server that accepts the connection but never answers, with a typed error (default 10 s), instead of waiting forever', async () => {
    // A blackhole: TCP accepts, the startup message is never answered.
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const err = await openReader(`postgres://postgres@127.0.0.1:${port}/audit`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SinkError);
      expect(err).toMatchObject({ code: 'SINK_DB' });
      expect((err as Error).message).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: .*timeout`));
      expect(sockets.length).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 25_000);
});
