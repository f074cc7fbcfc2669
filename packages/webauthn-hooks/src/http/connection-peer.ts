/** What the adapters read of a request's socket. */
export interface SocketLike {
  readonly remoteAddress?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly destroyed?: boolean;
}

/**
 * The peer address of a request's connection, and whether the connection
 * was already closed when the request was handled.
 *
 * Node reads a TCP socket's peer from the kernel (getpeername) when first
 * asked. A client that sends its whole request and then resets the
 * connection (RST) leaves nothing to read: `remoteAddress` is undefined by
 * the time the request event fires, while `localAddress` (getsockname)
 * still answers; once Node has handled the reset the socket is `destroyed`
 * and both are undefined. Such a request used to be served anyway: its
 * verification was audited without `client_ip` and its challenge stored
 * without the client the per-client quota counts by, so one address could
 * hide from the trail and flush every pending challenge (found by a probe).
 * A Unix-socket server's requests have neither address and are not closed.
 */
export function connectionPeer(socket: SocketLike | undefined): { peer: string | undefined; closed: boolean } {
  const peer = socket?.remoteAddress;
  if (peer !== undefined) return { peer, closed: false };
  return { peer: undefined, closed: socket?.destroyed === true || typeof socket?.localAddress === 'string' };
}
