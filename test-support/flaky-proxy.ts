/**
 * A TCP proxy in front of the API for the client's tests: it forwards every connection as is, but
 * can lose the answer to chosen requests after the server received (and committed) them, by
 * closing the caller's connection when the answer starts, or hold them without answering. This is
 * what a dropped connection looks like to a client, so its retries meet the real thing.
 */
import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

export interface FlakyProxy {
  url: string;
  /** Requests seen, as their first line (`POST /v1/messages HTTP/1.1`). */
  requests: string[];
  /** Lose the answer to the next `count` requests whose first line starts with `prefix`. */
  dropAnswers(prefix: string, count: number): void;
  /** Never answer the next `count` requests whose first line starts with `prefix` (the connection stays open). */
  holdAnswers(prefix: string, count: number): void;
  stop(): Promise<void>;
}

export const startFlakyProxy = async (target: string): Promise<FlakyProxy> => {
  const { hostname, port } = new URL(target);
  const requests: string[] = [];
  const rules: Array<{ prefix: string; left: number; action: 'drop' | 'hold' }> = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(Number(port), hostname);
    sockets.add(upstream);
    // What to do with the answer to the request now on this connection (keep-alive carries many).
    let pending: 'pass' | 'drop' | 'hold' = 'pass';
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const line = /^(GET|POST|PATCH|DELETE|PUT|HEAD|OPTIONS) [^\r\n]*/.exec(text)?.[0];
      if (line) {
        requests.push(line);
        const rule = rules.find((r) => r.left > 0 && line.startsWith(r.prefix));
        pending = rule ? rule.action : 'pass';
        if (rule) rule.left -= 1;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (pending === 'drop') {
        // The server has answered, so it has done the work: the caller never learns it.
        client.destroy();
        upstream.destroy();
      } else if (pending === 'pass') client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${listening}`,
    requests,
    dropAnswers: (prefix, count) => rules.push({ prefix, left: count, action: 'drop' }),
    holdAnswers: (prefix, count) => rules.push({ prefix, left: count, action: 'hold' }),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
