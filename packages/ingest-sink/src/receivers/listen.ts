import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo, Server } from 'node:net';

/**
 * Listens on TCP and binds UDP on the same port number (forward heartbeat,
 * syslog over UDP). With port 0 the number the kernel picked for TCP may be
 * taken for UDP by another process: then another port is picked (a few
 * tries). With an explicit port a taken UDP port is an error.
 */
export async function listenTcpAndUdp(server: Server, host: string, port: number, withUdp: boolean): Promise<{ port: number; udp?: UdpSocket }> {
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const bindUdp = (p: number) =>
    new Promise<UdpSocket>((resolve, reject) => {
      const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      u.once('error', (err) => {
        u.close();
        reject(err);
      });
      u.bind(p, host, () => {
        u.removeAllListeners('error');
        resolve(u);
      });
    });
  let actual = await listen(port);
  if (!withUdp) return { port: actual };
  for (let attempt = 0; ; attempt++) {
    try {
      return { port: actual, udp: await bindUdp(actual) };
    } catch (err) {
      await new Promise<void>((r) => server.close(() => r()));
      const code = (err as NodeJS.ErrnoException).code;
      // Node says "bind EADDRINUSE host:port", the same words for either
      // protocol: an operator who found the TCP port free was left guessing.
      if (port !== 0 || attempt >= 4 || code !== 'EADDRINUSE') {
        throw Object.assign(new Error(`cannot bind UDP ${host}:${actual}, the TCP port's number, which the receiver also takes: ${(err as Error).message}`, { cause: err }), { code });
      }
      actual = await listen(0);
    }
  }
}
