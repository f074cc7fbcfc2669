import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy owned by a test, in front of a real server. `cut()` drops every
 * open connection and refuses new ones (accept then reset) until `restore()`:
 * the database "becomes unreachable" without touching the database.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<{ port: number; cut: () => void; restore: () => void; close: () => Promise<void>; connections: () => number }> {
  let up = true;
  let total = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (!up) {
      client.resetAndDestroy();
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
    client.pipe(upstream).pipe(client);
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
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
