import { connect, type Socket } from 'node:net';

/** A raw TCP client that writes frames and collects every byte the server sends back. */
export class RawClient {
  received = Buffer.alloc(0);
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Waits until `n` bytes arrived or the socket closed. */
  async waitFor(n: number): Promise<Buffer> {
    for (let i = 0; i < 1000 && this.received.length < n && !this.closed; i++) await new Promise((r) => setTimeout(r, 10));
    return this.received;
  }

  /** Waits until the server closed the connection. */
  async waitClosed(): Promise<void> {
    for (let i = 0; i < 1000 && !this.closed; i++) await new Promise((r) => setTimeout(r, 10));
    if (!this.closed) throw new Error('server did not close the connection');
  }
}
