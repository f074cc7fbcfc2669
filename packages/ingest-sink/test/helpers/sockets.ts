import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type AddressInfo, type ServerOpts, type Socket } from 'node:net';

/**
 * A TCP server on 127.0.0.1 of the test's own, handing each connection to
 * `onConnection` (a server that never acks, stops reading, holds its side
 * open); `close()` destroys the connections still open and stops it.
 */
export async function startRawServer(onConnection: (socket: Socket) => void, options: ServerOpts = {}): Promise<{ port: number; close: () => Promise<void> }> {
  const conns = new Set<Socket>();
  const server = createServer(options, (socket) => {
    conns.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => (conns.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

/**
 * The client sockets this process connects to `port` from now on, as Node
 * creates them (net.connect publishes each on the diagnostics channel
 * `net.client.socket`): how a test sees whether the code under test ended
 * its connections. `stop()` unsubscribes.
 */
export function watchClientSockets(port: number): { sockets: Socket[]; stop: () => void } {
  const sockets: Socket[] = [];
  const onSocket = (m: unknown) => {
    const socket = (m as { socket: Socket }).socket;
    socket.once('connect', () => socket.remotePort === port && sockets.push(socket));
  };
  subscribe('net.client.socket', onSocket);
  return { sockets, stop: () => void unsubscribe('net.client.socket', onSocket) };
}
