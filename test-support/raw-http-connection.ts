/**
 * A raw HTTP/1.1 connection for tests that send requests byte by byte (a head half sent, a request
 * on a kept-alive connection after a stall) and read the answers one at a time.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface RawHttpConnection {
  socket: Socket;
  write(data: string): void;
  /** The next whole answer (by its Content-Length, or its chunks), or how the connection ended without one: 'no answer: closed', 'no answer: ECONNRESET'. */
  answer(): Promise<string>;
}

export const rawHttpConnection = async (port: number, host = '127.0.0.1'): Promise<RawHttpConnection> => {
  const socket = connect(port, host);
  await once(socket, 'connect');
  let text = '';
  let ended: string | undefined;
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    waiting?.();
  });
  const end = (how: string) => {
    ended ??= how;
    waiting?.();
  };
  socket.on('end', () => end('closed'));
  socket.on('error', (error: NodeJS.ErrnoException) => end(error.code ?? String(error)));
  const answer = async (): Promise<string> => {
    for (;;) {
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const head = text.slice(0, headEnd);
        const chunksEnd = text.indexOf('\r\n0\r\n\r\n', headEnd);
        const length = /\r\ntransfer-encoding: *chunked/i.test(head)
          ? chunksEnd < 0
            ? Number.POSITIVE_INFINITY
            : chunksEnd + 7 - (headEnd + 4)
          : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (text.length >= headEnd + 4 + length) {
          const whole = text.slice(0, headEnd + 4 + length);
          text = text.slice(whole.length);
          return whole;
        }
      }
      if (ended !== undefined) return `no answer: ${ended}`;
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  return { socket, write: (data) => void socket.write(data), answer };
};
