import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Transform } from 'node:stream';

/** A proxy started by {@link startTcpProxy}. */
export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones (accept then reset) until {@link restore}. */
  cut: () => void;
  restore: () => void;
  /**
   * The database stops answering without closing anything (a hung server, a
   * dropped route): open connections carry nothing more either way, new ones
   * are accepted and never answered. Ends with {@link restore}.
   */
  hang: () => void;
  /**
   * Once: after a client sends bytes containing `request`, lets them reach the
   * server, then swallows the server's next reply and resets that connection.
   * With `COMMIT`, the server commits and the client never learns it did
   * (a lost acknowledgement). Resolves when it has fired.
   */
  loseReplyTo: (request: Buffer) => Promise<void>;
  close: () => Promise<void>;
  /** Connections accepted so far. */
  connections: () => number;
}

/**
 * A TCP proxy owned by a test, in front of a real server: the database
 * "becomes unreachable", or loses one reply, without touching the database.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let up = true;
  let hung = false;
  let total = 0;
  const open = new Set<Socket>();
  let armed: { request: Buffer; fired: () => void } | undefined;
  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    if (hung) {
      // Accepted, never answered: what a hung server looks like to a client.
      open.add(client);
      client.on('close', () => open.delete(client));
      return;
    }
    total++;
    const upstream = connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    open.add(client);
    open.add(upstream);
    client.on('close', () => open.delete(client));
    upstream.on('close', () => open.delete(upstream));
    // Transforms, not raw 'data' handlers, so backpressure still flows through pipe().
    let swallowNext: (() => void) | undefined;
    const toServer = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (hung) return done();
        if (armed && chunk.includes(armed.request)) {
          swallowNext = armed.fired;
          armed = undefined;
        }
        done(null, chunk);
      },
    });
    const toClient = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (hung) return done();
        if (swallowNext) {
          const fired = swallowNext;
          swallowNext = undefined;
          client.resetAndDestroy();
          upstream.destroy();
          fired();
          return done();
        }
        done(null, chunk);
      },
    });
    client.pipe(toServer).pipe(upstream).pipe(toClient).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => total,
    cut() {
      up = false;
      for (const s of open) s.resetAndDestroy();
    },
    restore() {
      up = true;
      hung = false;
    },
    hang() {
      hung = true;
    },
    loseReplyTo: (request) => new Promise<void>((fired) => (armed = { request, fired })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
