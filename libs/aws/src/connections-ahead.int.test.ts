/**
 * Connecting ahead: the sender opens a delivery's connection (the lookup, TCP's handshake, TLS's)
 * when the worker takes the message, so the request at its instant only writes. Real servers on
 * 127.0.0.1 count the connections and say which one each request came on.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { OutboundRequest } from '@vigil/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpsAgentAhead } from './connections-ahead';
import { NodeHttpSender } from './http-sender';

/** A self-signed certificate for localhost and 127.0.0.1 (test only; made with openssl, valid to 2126). */
const TLS = {
  key: readFileSync(new URL('../../../test-support/tls/localhost-key.pem', import.meta.url)),
  cert: readFileSync(new URL('../../../test-support/tls/localhost-cert.pem', import.meta.url)),
};

interface Seen {
  connections: Array<{ socket: Socket; at: number }>;
  /** Each request's arrival, and the index of the connection it came on. */
  requests: Array<{ at: number; connection: number }>;
  closed: number;
}

const servers: Array<http.Server> = [];
const senders: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

/** A server that answers 200 and keeps what it saw; over TLS, a connection counts once its handshake is done. */
const startServer = async (secure = false): Promise<{ url: string; seen: Seen }> => {
  const seen: Seen = { connections: [], requests: [], closed: 0 };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.requests.push({ at: Date.now(), connection: seen.connections.findIndex((c) => c.socket === req.socket) });
    req.resume();
    req.on('end', () => res.end('ok'));
  };
  const server = secure ? https.createServer(TLS, onRequest) : http.createServer(onRequest);
  server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
    seen.connections.push({ socket, at: Date.now() });
    socket.on('close', () => (seen.closed += 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, seen };
};

const request = (url: string): OutboundRequest => ({
  url: `${url}/hook`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{}',
  timeoutMs: 5_000,
});

const sender = (allowPrivateTargets = true) => {
  const made = new NodeHttpSender({ allowPrivateTargets });
  senders.push(made);
  return made;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await sleep(5);
  }
};

describe('NodeHttpSender.connectAhead', () => {
  it('opens the connection before the send, which then writes on it without connecting', async () => {
    const { url, seen } = await startServer();
    const target = sender();
    target.connectAhead(request(url));
    await until(() => seen.connections.length === 1, 'the connection opened ahead');
    const sentAt = Date.now();
    expect((await target.send(request(url))).statusCode).toBe(200);
    expect(seen.connections).toHaveLength(1);
    expect(seen.connections[0]!.at).toBeLessThanOrEqual(sentAt);
    expect(seen.requests).toEqual([{ at: expect.any(Number), connection: 0 }]);
  });

  it('reuses an idle keep-alive connection instead of opening another', async () => {
    const { url, seen } = await startServer();
    const target = sender();
    await target.send(request(url));
    target.connectAhead(request(url));
    await sleep(50);
    expect(seen.connections).toHaveLength(1);
    await target.send(request(url));
    expect(seen.requests.map((r) => r.connection)).toEqual([0, 0]);
  });

  it('opens as many as the sends to come, up to the 64 a receiver gets at once, and each send takes one', async () => {
    const { url, seen } = await startServer();
    const target = sender();
    for (let i = 0; i < 100; i += 1) target.connectAhead(request(url));
    await until(() => seen.connections.length === 64, '64 connections');
    await sleep(50);
    expect(seen.connections).toHaveLength(64);
    const results = await Promise.all(Array.from({ length: 100 }, () => target.send(request(url))));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    // The 100 sends went over the 64 connections opened ahead: none was opened at the instant.
    expect(seen.connections).toHaveLength(64);
    expect(new Set(seen.requests.map((r) => r.connection)).size).toBe(64);
  });

  it('never connects ahead to an address the send would refuse', async () => {
    const { url, seen } = await startServer();
    const guarded = sender(false);
    guarded.connectAhead(request(url));
    guarded.connectAhead(request(url.replace('127.0.0.1', 'localhost')));
    await sleep(200);
    expect(seen.connections).toHaveLength(0);
    expect((await guarded.send(request(url))).errorKind).toBe('blocked-target');
  });

  it('ignores a request whose URL can never be sent', () => {
    const target = sender();
    expect(() => target.connectAhead({ ...request('http://x'), url: 'not a url' })).not.toThrow();
    expect(() => target.connectAhead({ ...request('http://x'), url: 'ftp://127.0.0.1/file' })).not.toThrow();
  });

  it('does not hand a send a connection the receiver closed meanwhile: it connects anew', async () => {
    const { url, seen } = await startServer();
    const target = sender();
    target.connectAhead(request(url));
    await until(() => seen.connections.length === 1, 'the connection opened ahead');
    seen.connections[0]!.socket.destroy();
    await sleep(50);
    expect((await target.send(request(url))).statusCode).toBe(200);
    expect(seen.requests.map((r) => r.connection)).toEqual([1]);
  });

  it('does not hand a send a connection the receiver spoke on first (a 408 as it gave up on it): it connects anew', async () => {
    // Prepare: a receiver that answers requests, but writes a 408 and closes a connection idle for 50 ms.
    let requests = 0;
    const raw = net.createServer((socket) => {
      socket.on('error', () => {});
      const idle = setTimeout(
        () => socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'),
        50,
      );
      socket.on('data', () => {
        clearTimeout(idle);
        requests += 1;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    const target = sender();

    try {
      // Act: the send comes after the receiver gave up on the connection opened ahead.
      target.connectAhead(request(url));
      await sleep(200);
      const result = await target.send(request(url));

      // Assess: the answer is the receiver's to this request, on a connection of its own.
      expect(result).toMatchObject({ statusCode: 200, responseSnippet: 'ok' });
      expect(requests).toBe(1);
    } finally {
      raw.close();
    }
  });

  it('leaves a send to a receiver that refused the connection ahead to fail as it would have', async () => {
    const { url } = await startServer();
    const closed = url.replace(/:\d+$/, ':1');
    const target = sender();
    target.connectAhead(request(closed));
    await sleep(50);
    expect((await target.send(request(closed))).errorKind).toBe('connection-refused');
  });
});

describe('HttpsAgentAhead', () => {
  it('has the TLS handshake done ahead: the request comes on the connection opened then', async () => {
    const { url, seen } = await startServer(true);
    const agent = new HttpsAgentAhead({ keepAlive: true, maxSockets: 64, ca: TLS.cert });
    senders.push({ close: () => agent.destroy() });
    const { hostname, port } = new URL(url);
    agent.connectAhead({ host: hostname, port: Number(port) });
    await until(() => seen.connections.length === 1, 'the handshake done ahead');
    const sentAt = Date.now();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = https.request(`${url}/hook`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(200);
    expect(seen.connections).toHaveLength(1);
    expect(seen.connections[0]!.at).toBeLessThanOrEqual(sentAt);
    expect(seen.requests.map((r) => r.connection)).toEqual([0]);
  });

  it('closes a connection opened ahead that no request took', async () => {
    const { url, seen } = await startServer(true);
    const agent = new HttpsAgentAhead({ keepAlive: true, ca: TLS.cert }, 100);
    senders.push({ close: () => agent.destroy() });
    const { hostname, port } = new URL(url);
    agent.connectAhead({ host: hostname, port: Number(port) });
    await until(() => seen.connections.length === 1, 'the connection opened ahead');
    await until(() => seen.closed === 1, 'the unused connection closed');
  });
});
