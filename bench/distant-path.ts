/**
 * A receiver far away, on this machine: a TCP proxy in front of it that delays what passes as a
 * network path with a round trip of `rttMs` would. Bytes take half a round trip each way, and a
 * new connection's first bytes leave no sooner than one round trip after it was opened (TCP's
 * handshake: the client could not have sent before its SYN was answered). So a request made on a
 * new connection reaches the receiver 1.5 round trips after it was made, one on a connection
 * opened earlier half a round trip after. (TLS would add one more round trip to a new connection;
 * the path carries plain HTTP.)
 */
import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

export interface DistantPath {
  /** The receiver's URL through the path (its own port: an origin of its own). */
  url: string;
  close(): Promise<void>;
}

/** Writes each chunk `delayMs` after it came, in order, never before `notBefore()`. */
const delayed = (to: Socket, delayMs: number, notBefore: () => number) => {
  let last = 0;
  return (chunk: Buffer) => {
    const at = Math.max(Date.now() + delayMs, notBefore(), last);
    last = at;
    setTimeout(() => to.destroyed || to.write(chunk), at - Date.now());
  };
};

export const startDistantPath = async (target: string, rttMs: number): Promise<DistantPath> => {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const openedAt = Date.now();
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on(
      'data',
      delayed(upstream, rttMs / 2, () => openedAt + rttMs + rttMs / 2),
    );
    upstream.on(
      'data',
      delayed(client, rttMs / 2, () => 0),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const own = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${own}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
