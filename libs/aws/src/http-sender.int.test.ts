import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { OutboundRequest, SendResult } from '@vigil/core';
import { WITHHELD_HEADER_VALUE } from '@vigil/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NodeHttpSender, parseRetryAfter } from './http-sender';
import { CACHE_MAX_NAMES, TargetResolver } from './target-resolver';
import { fakeDns } from '../../../test-support/fake-dns';
import { receiverThread, stall } from '../../../test-support/stall';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remotePort: number | undefined;
}

/** A real receiver on 127.0.0.1: records what arrives, answers with whatever the test sets. */
const receiver = () => {
  const seen: Seen[] = [];
  let connections = 0;
  let respond: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('ok');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        remotePort: req.socket.remotePort,
      });
      respond(req, res);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  return {
    seen,
    connections: () => connections,
    answer(handler: typeof respond) {
      respond = handler;
    },
    /** Forgets what was seen and drops every connection (then lets the client notice). */
    async reset() {
      seen.length = 0;
      connections = 0;
      respond = (_req, res) => res.end('ok');
      server.closeAllConnections();
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

/** A result without the response headers (every answer has some, with a `date`): the rest compared exactly. */
const withoutHeaders = ({ responseHeaders: _headers, ...rest }: SendResult): SendResult => rest;

const request = (url: string, over: Partial<OutboundRequest> = {}): OutboundRequest => ({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"hello":"world"}',
  timeoutMs: 2_000,
  ...over,
});

describe('NodeHttpSender', () => {
  const server = receiver();
  let base: string;
  let sender: NodeHttpSender;

  beforeAll(async () => {
    base = await server.start();
    sender = new NodeHttpSender({ allowPrivateTargets: true, userAgent: 'Vigil/test' });
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    sender.close();
    await server.stop();
  });

  describe('delivering', () => {
    it('sends the method, headers and body exactly, and reuses one keep-alive connection', async () => {
      // Prepare
      server.answer((_req, res) => res.writeHead(201, { 'content-type': 'text/plain' }).end('created'));
      const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'x-Custom': 'Kept' };
      const body = '{"name":"Zoë","n":1}';

      // Act
      const first = await sender.send(request(`${base}/hooks/a?x=1`, { method: 'PUT', headers, body }));
      const second = await sender.send(request(`${base}/hooks/b`, { body: '' }));

      // Assess
      expect(withoutHeaders(first)).toEqual({ statusCode: 201, responseSnippet: 'created' });
      expect(withoutHeaders(second)).toEqual({ statusCode: 201, responseSnippet: 'created' });
      const [a, b] = server.seen;
      expect(a).toMatchObject({ method: 'PUT', url: '/hooks/a?x=1', body });
      expect(a?.headers).toMatchObject({
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'x-custom': 'Kept',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Vigil/test',
      });
      expect(b).toMatchObject({ method: 'POST', url: '/hooks/b', body: '' });
      expect(b?.headers['transfer-encoding']).toBeUndefined();
      expect(server.connections()).toBe(1);
      expect(b?.remotePort).toBe(a?.remotePort);
    });

    it('keeps the caller’s own user-agent and content-length', async () => {
      await sender.send(request(base, { headers: { 'User-Agent': 'Custom/1', 'Content-Length': '17' } }));

      expect(server.seen[0]?.headers).toMatchObject({ 'user-agent': 'Custom/1', 'content-length': '17' });
    });

    it("sends a URL's user and password as Basic authentication, unless the headers carry an authorization", async () => {
      const withUser = base.replace('http://', 'http://al%40ice:p%3Ass@');

      await sender.send(request(`${withUser}/basic`));
      await sender.send(request(`${withUser}/own`, { headers: { Authorization: 'Bearer own' } }));

      const [basic, own] = server.seen;
      expect(basic?.url).toBe('/basic');
      expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from('al@ice:p:ss').toString('base64')}`);
      expect(own?.headers.authorization).toBe('Bearer own');
    });

    it('records no status for an answer whose status line is not HTTP (099): an attempt failed, retried', async () => {
      const raw = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end('HTTP/1.1 099 Weird\r\ncontent-length: 0\r\n\r\n'));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));

      const result = await sender.send(request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`));
      raw.close();

      expect(result).toEqual({ error: "the answer's status 99 is not an HTTP status", errorKind: 'invalid-response' });
    });

    it("says an answer that is not HTTP is one (invalid-response), with the parser's words", async () => {
      const answering = async (answer: string) => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () => socket.end(answer));
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        const result = await sender.send(request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`));
        raw.close();
        return result;
      };

      const garbage = await answering('220 mail.example.com ESMTP ready\r\n');
      // A head past what Vigil reads of one, whose status line is not HTTP's.
      const overflowing = await answering(`HTTP/1.1 099 Odd\r\nx-big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);

      expect(garbage).toMatchObject({ errorKind: 'invalid-response', error: expect.stringMatching(/HPE_/) });
      expect(garbage).not.toHaveProperty('statusCode');
      expect(overflowing).toMatchObject({ errorKind: 'invalid-response', error: expect.stringMatching(/HPE_/) });
      expect(overflowing).not.toHaveProperty('statusCode');
    });

    describe('with a receiver whose answer has a large head (status line and headers)', () => {
      /** A raw receiver that answers every request with `answer`, written in `pieces` (a pause between each). */
      const answering = async (answer: string, pieces = 1) => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', async () => {
            const size = Math.ceil(answer.length / pieces);
            for (let at = 0; at < answer.length && !socket.destroyed; at += size) {
              socket.write(answer.slice(at, at + size));
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          });
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        const started = performance.now();
        const result = await sender.send(
          request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, { timeoutMs: 5_000 }),
        );
        raw.close();
        return { result, tookMs: performance.now() - started };
      };
      const head = (status: string, big: number, after = '') =>
        `HTTP/1.1 ${status}\r\nx-request-id: req_1\r\nx-big: ${'a'.repeat(big)}\r\n${after}`;

      it('reads a head of up to 64 KiB whole (over Node’s 16 KiB, a 200 was no status and sent again), its headers bounded as any', async () => {
        const big = await answering(`${head('200 OK', 40 * 1024, 'content-length: 2\r\n\r\nok')}`, 4);
        const busy = await answering(
          `HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${head('429 Too Many', 20 * 1024, 'retry-after: 30\r\ncontent-length: 0\r\n\r\n')}`,
        );

        expect(big.result).toEqual({
          statusCode: 200,
          responseSnippet: 'ok',
          responseHeaders: { 'x-request-id': 'req_1', 'content-length': '2' },
          responseHeadersOmitted: 1,
        });
        expect(busy.result).toMatchObject({ statusCode: 429, retryAfterMs: 30_000, responseHeadersOmitted: 1 });
      });

      it('counts the status of an answer whose head is past 64 KiB, with the headers read whole, and says the rest was not read', async () => {
        const past =
          "the answer's head was over 64 KiB, more than Vigil reads: kept are its status and the header lines that came whole; its body was not read";
        // In one write (Node's parser gives up on it), and in many (the bytes before the status, on the socket).
        const whole = await answering(head('200 OK', 100 * 1024, 'content-length: 2\r\n\r\nok'));
        const dripped = await answering(head('200 OK', 100 * 1024, 'content-length: 2\r\n\r\nok'), 20);
        const afterHints = await answering(
          `HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${head('503 Busy', 100 * 1024, 'retry-after: 5\r\n\r\n')}`,
          3,
        );

        // Cut within x-big: the lines before it are kept (and, when the rest came in the chunk Node gave up in, those after).
        expect(whole.result).toMatchObject({
          statusCode: 200,
          responseHeaders: { 'x-request-id': 'req_1' },
          error: past,
          errorKind: 'invalid-response',
        });
        expect(dripped.result).toEqual({
          statusCode: 200,
          responseHeaders: { 'x-request-id': 'req_1' },
          error: past,
          errorKind: 'invalid-response',
        });
        // The 1xx before it is passed over: the answer is the 503 (its retry-after came after the cut).
        expect(afterHints.result).toEqual({
          statusCode: 503,
          responseHeaders: { 'x-request-id': 'req_1' },
          error: past,
          errorKind: 'invalid-response',
        });
        // At once, not at the timeout.
        for (const { tookMs } of [whole, dripped, afterHints]) expect(tookMs).toBeLessThan(2_000);
      });
    });

    it('ends at once on a 101 Switching Protocols, which no webhook answer follows (it used to wait out the timeout)', async () => {
      const raw = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\nconnection: Upgrade\r\n\r\n');
          setTimeout(() => socket.destroy(), 20);
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const started = performance.now();

      const result = await sender.send(
        request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, { timeoutMs: 5_000 }),
      );
      raw.close();

      expect(performance.now() - started).toBeLessThan(1_000);
      expect(result).toMatchObject({
        statusCode: 101,
        error: 'the receiver switched protocols (101 to h2c) instead of answering',
        errorKind: 'invalid-response',
        responseHeaders: { upgrade: 'h2c', connection: 'Upgrade' },
      });
    });

    describe('with a receiver that streams bytes that carry nothing (before its status line, or framing a body)', () => {
      /** A raw receiver that answers every request with `head`, then `chunk` for as long as the connection lasts. */
      const flooding = async (chunk: string, head = '') => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () => {
            socket.write(head);
            const pump = () => {
              while (!socket.destroyed) if (!socket.write(chunk)) return void socket.once('drain', pump);
            };
            pump();
          });
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        const result = await sender.send(
          request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, { timeoutMs: 5_000 }),
        );
        const { user, system } = process.cpuUsage(cpuBefore);
        const elapsedMs = performance.now() - started;
        await new Promise((resolve) => raw.close(resolve));
        return { result, elapsedMs, cpuMs: (user + system) / 1000 };
      };

      it('gives up on endless informational responses at once, not at the timeout (it kept a CPU busy till then)', async () => {
        const { result, elapsedMs, cpuMs } = await flooding('HTTP/1.1 102 Processing\r\n\r\n'.repeat(100));

        expect(result).toEqual({
          error: "the receiver sent 33 informational (1xx) responses before its answer's status line",
          errorKind: 'invalid-response',
        });
        expect(elapsedMs).toBeLessThan(1_000);
        expect(cpuMs).toBeLessThan(1_000);
      });

      it("gives up on endless bare CRLFs (which Node's header limit does not count) past 64 KiB", async () => {
        const { result, elapsedMs, cpuMs } = await flooding('\r\n'.repeat(32_768));

        expect(result).toMatchObject({
          error: expect.stringMatching(/^the receiver sent \d+ KiB before its answer's status line$/),
          errorKind: 'invalid-response',
        });
        expect(elapsedMs).toBeLessThan(1_000);
        expect(cpuMs).toBeLessThan(1_000);
      });

      it('gives up on a chunked body whose chunk size is endless zeros (no body byte ever comes) past 1 MiB', async () => {
        const head = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n';
        const { result, elapsedMs, cpuMs } = await flooding('0'.repeat(4096), head);

        expect(result).toMatchObject({
          statusCode: 200,
          responseSnippet: 'ok',
          error: expect.stringMatching(
            /^the receiver sent \d+ KiB after its answer's status line, 2 bytes of them body$/,
          ),
          errorKind: 'invalid-response',
        });
        expect(elapsedMs).toBeLessThan(1_000);
        expect(cpuMs).toBeLessThan(1_000);
      });

      it('still reads the answer after a 100 Continue and 103 Early Hints', async () => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () => {
            socket.write('HTTP/1.1 100 Continue\r\n\r\n');
            socket.write('HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\n\r\n');
            socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
          });
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));

        const result = await sender.send(request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`));
        raw.close();

        expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'ok' });
      });

      it('reads an answer whose body, in the same chunks as its head, is far larger than the bound', async () => {
        const body = 'x'.repeat(256 * 1024);
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () =>
            socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`),
          );
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));

        const result = await sender.send(request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`));
        raw.close();

        expect(result).toMatchObject({ statusCode: 200, responseSnippet: 'x'.repeat(1024) });
        expect(result).not.toHaveProperty('error');
      });
    });

    it('keeps the status, headers and body so far of an answer cut by a reset, as of one cut by a close', async () => {
      const cutBy = async (cut: (socket: net.Socket) => void) => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () => {
            socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\nx-why: half\r\n\r\nabc');
            setTimeout(() => cut(socket), 50);
          });
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        const result = await sender.send(request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`));
        raw.close();
        return result;
      };

      const reset = await cutBy((socket) => socket.resetAndDestroy());
      const closed = await cutBy((socket) => socket.end());

      for (const result of [reset, closed]) {
        expect(result).toMatchObject({ statusCode: 200, responseSnippet: 'abc', responseHeaders: { 'x-why': 'half' } });
      }
      expect(reset).toMatchObject({ errorKind: 'connection-reset' });
    });

    it('closes a kept-alive connection its receiver goes on sending on after the answer (Node read and dropped the bytes for as long as they came, then handed it to the next request)', async () => {
      // Prepare: the first connection answers, then sends a byte every 20 ms while it is idle.
      let connections = 0;
      let firstClosed = new Promise<void>(() => {});
      const raw = net.createServer((socket) => {
        connections += 1;
        socket.on('error', () => {});
        if (connections > 1) {
          socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext'));
          return;
        }
        firstClosed = new Promise((resolve) => socket.on('close', () => resolve()));
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
          const trickle = setInterval(() => socket.write('x'), 20);
          socket.on('close', () => clearInterval(trickle));
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;

      try {
        // Act
        const first = await sender.send(request(url));
        const closedSoon = await Promise.race([
          firstClosed.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
        ]);
        const second = await sender.send(request(url));

        // Assess: closed well before the idle timeout (which each byte put off), and the next
        // request went on a connection of its own and read its own answer.
        expect(withoutHeaders(first)).toEqual({ statusCode: 200, responseSnippet: 'ok' });
        expect(closedSoon).toBe(true);
        expect(withoutHeaders(second)).toEqual({ statusCode: 200, responseSnippet: 'next' });
        expect(connections).toBe(2);
      } finally {
        raw.close();
      }
    });

    it('reads the answer of a receiver that never reads the 256 KiB body, and of an HTTP/1.0 one without a length', async () => {
      // Prepare: one answers 413 at the request's first bytes and closes with the body unread
      // (its close may reset the connection); one answers HTTP/1.0, its body ending at its close.
      const answering = async (answer: (socket: net.Socket) => void) => {
        const raw = net.createServer((socket) => {
          socket.on('error', () => {});
          socket.once('data', () => answer(socket));
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        const result = await sender.send(
          request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, { body: 'x'.repeat(256 * 1024) }),
        );
        raw.close();
        return result;
      };

      // Act
      const refused = await answering((socket) => {
        socket.pause();
        socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\nconnection: close\r\n\r\ntoo big!');
        socket.destroy();
      });
      const old = await answering((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nno length'));

      // Assess
      expect(withoutHeaders(refused)).toEqual({ statusCode: 413, responseSnippet: 'too big!' });
      expect(old).toEqual({ statusCode: 200, responseSnippet: 'no length', responseHeaders: {} });
    });

    it('returns a redirect as a status code and does not follow it', async () => {
      server.answer((_req, res) => res.writeHead(302, { location: `${base}/elsewhere` }).end());

      const result = await sender.send(request(`${base}/moved`));

      expect(withoutHeaders(result)).toEqual({ statusCode: 302, errorKind: 'redirect' });
      expect(server.seen.map((s) => s.url)).toEqual(['/moved']);
    });

    it('never sends an attempt twice: a reset after the request arrived is reported, not retried', async () => {
      // Prepare: the second request on the first connection is read, then met with a reset.
      const served = new WeakSet<object>();
      server.answer((req, res) => {
        if (served.has(req.socket)) return req.socket.destroy();
        served.add(req.socket);
        res.end('ok');
      });
      await sender.send(request(base));

      // Act
      const result = await sender.send(request(base));

      // Assess: the receiver saw the second request once; the attempt says what happened.
      expect(server.seen).toHaveLength(2);
      expect(result.statusCode).toBeUndefined();
      expect(result.error).toMatch(/ECONNRESET|socket hang up/);
    });
  });

  describe('reading the response', () => {
    it('keeps only the first 1024 bytes of a 1 MB body and returns without reading the rest', async () => {
      // Prepare: 1 MB written and the response left open, so only stopping early returns soon.
      server.answer((_req, res) => {
        res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) });
        res.write('a'.repeat(1024 * 1024));
      });

      // Act
      const started = performance.now();
      const result = await sender.send(request(base, { timeoutMs: 5_000 }));

      // Assess
      expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'a'.repeat(1024) });
      expect(performance.now() - started).toBeLessThan(1_000);
      // The dropped connection does not break the next send.
      server.answer((_req, res) => res.end('next'));
      expect(withoutHeaders(await sender.send(request(base)))).toEqual({ statusCode: 200, responseSnippet: 'next' });
    });

    it('returns once the body fills the snippet, though its receiver then stalls (it waited out the timeout), and still reuses the connection after a body of just that size', async () => {
      // Prepare: 1024 bytes of a 2048-byte body, then nothing.
      server.answer((_req, res) => {
        res.writeHead(200, { 'content-length': '2048' });
        res.write('a'.repeat(1024));
      });

      // Act
      const started = performance.now();
      const stalled = await sender.send(request(base, { timeoutMs: 5_000 }));
      const tookMs = performance.now() - started;
      server.answer((_req, res) => res.end('b'.repeat(1024)));
      const whole = [await sender.send(request(base)), await sender.send(request(base))];

      // Assess: the snippet is all an answer keeps of its body, and the status came with the head.
      expect(withoutHeaders(stalled)).toEqual({ statusCode: 200, responseSnippet: 'a'.repeat(1024) });
      expect(tookMs).toBeLessThan(2_500);
      for (const result of whole) {
        expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'b'.repeat(1024) });
      }
      // A body of just the snippet's size is read to its end, which hands the connection back.
      expect(server.seen[1]?.remotePort).toBe(server.seen[2]?.remotePort);
    });

    it('cuts a multibyte UTF-8 body at a character boundary', async () => {
      server.answer((_req, res) => res.end('€'.repeat(1000))); // 3 bytes each: 1024 falls mid-character

      const { responseSnippet = '' } = await sender.send(request(base));

      expect(responseSnippet).toBe('€'.repeat(341));
      expect(responseSnippet).not.toContain('\uFFFD');
      expect(Buffer.byteLength(responseSnippet)).toBeLessThanOrEqual(1024);
    });

    it('keeps a binary (invalid UTF-8) body to 1024 bytes once decoded, not 1024 bytes of U+FFFD each', async () => {
      server.answer((_req, res) => res.end(Buffer.alloc(4096, 0xff))); // every byte invalid UTF-8

      const { responseSnippet = '' } = await sender.send(request(base));

      expect(responseSnippet).toBe('\uFFFD'.repeat(341));
      expect(Buffer.byteLength(responseSnippet)).toBeLessThanOrEqual(1024);
    });
    it('reads a body in the charset its content-type names (an iso-8859-1 é was kept as U+FFFD), cut at a character', async () => {
      const answering = (contentType: string, body: Buffer) => {
        server.answer((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
        return sender.send(request(base));
      };

      const latin1 = await answering('text/html; charset=ISO-8859-1', Buffer.from('<p>Café fermé</p>', 'latin1'));
      const utf16 = await answering('text/plain;charset="utf-16le"', Buffer.from('é✓'.repeat(1000), 'utf16le'));
      const unknown = await answering('text/plain; charset=x-no-such', Buffer.from('café'));

      expect(latin1.responseSnippet).toBe('<p>Café fermé</p>');
      // 1,024 bytes of UTF-16 are 256 pairs, kept to 1,024 bytes of UTF-8 (5 a pair): 204 and an é.
      expect(utf16.responseSnippet).toBe(`${'é✓'.repeat(204)}é`);
      expect(unknown.responseSnippet).toBe('café');
    });
    it('keeps a body sent compressed (gzip, deflate, br: Vigil asks for none) decompressed, and one that is not, or a bomb, as it came', async () => {
      const text = `${'{"error":"quota exceeded","detail":"try again later"}\n'.repeat(200)}`;
      const answering = (coding: string, body: Buffer) => {
        server.answer((_req, res) =>
          res.writeHead(429, { 'content-type': 'application/json', 'content-encoding': coding }).end(body),
        );
        return sender.send(request(base));
      };

      const gzip = await answering('gzip', zlib.gzipSync(text));
      const deflate = await answering('deflate', zlib.deflateSync(text));
      const br = await answering('BR', zlib.brotliCompressSync(text));
      const notGzip = await answering('gzip', Buffer.from('plain after all'));
      const bomb = zlib.brotliCompressSync(Buffer.alloc(2 << 20, 'a')); // 2 MiB of one letter, in a few bytes
      const bombed = await answering('br', bomb);

      for (const result of [gzip, deflate, br]) expect(result.responseSnippet).toBe(text.slice(0, 1024));
      expect(notGzip.responseSnippet).toBe('plain after all');
      expect(bombed.responseSnippet).toBe(bomb.toString('utf8'));
    });
  });

  describe('Retry-After', () => {
    it('reads delta-seconds from a 429 and an HTTP-date from a 503, as a wait in ms', async () => {
      server.answer((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end('slow down'));
      expect(withoutHeaders(await sender.send(request(base)))).toEqual({
        statusCode: 429,
        responseSnippet: 'slow down',
        retryAfterMs: 120_000,
      });

      const at = new Date(Date.now() + 90_000);
      server.answer((_req, res) => res.writeHead(503, { 'retry-after': at.toUTCString() }).end());
      const { statusCode, retryAfterMs = 0 } = await sender.send(request(base));
      expect(statusCode).toBe(503);
      // An HTTP-date has whole seconds: the wait is what is left until then, give or take the round trip.
      expect(retryAfterMs).toBeGreaterThan(88_000);
      expect(retryAfterMs).toBeLessThanOrEqual(90_000);
    });

    it('ignores Retry-After on other statuses, and a value that is neither form', async () => {
      server.answer((_req, res) => res.writeHead(500, { 'retry-after': '120' }).end());
      expect(withoutHeaders(await sender.send(request(base)))).toEqual({ statusCode: 500 });
      server.answer((_req, res) => res.writeHead(429, { 'retry-after': 'soon' }).end());
      expect(withoutHeaders(await sender.send(request(base)))).toEqual({ statusCode: 429 });
    });

    it('parses both forms, a past date as no wait, and caps an absurd one at a year', () => {
      const now = Date.parse('2026-12-01T09:00:00Z');
      expect(parseRetryAfter('0', now)).toBe(0);
      expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
      expect(parseRetryAfter('Tue, 01 Dec 2026 09:01:00 GMT', now)).toBe(60_000);
      expect(parseRetryAfter('Tuesday, 01-Dec-26 09:01:00 GMT', now)).toBe(60_000);
      expect(parseRetryAfter('Mon, 30 Nov 2026 09:00:00 GMT', now)).toBe(0);
      expect(parseRetryAfter('99999999999999', now)).toBe(366 * 24 * 3_600_000);
      expect(parseRetryAfter('-5', now)).toBeUndefined();
      expect(parseRetryAfter('1.5', now)).toBeUndefined();
      expect(parseRetryAfter('Tue Dec  1 09:01:00 2026', now)).toBe(60_000);
      expect(parseRetryAfter('2026-12-01T09:01:00Z', now)).toBeUndefined();
      // A fragment of a date is no date (Date.parse reads `Wed, 1` as 2001-01-01: no wait at all).
      expect(parseRetryAfter('Wed, 1', now)).toBeUndefined();
      expect(parseRetryAfter('Tue, 01 Dec 2026', now)).toBeUndefined();
      expect(parseRetryAfter(undefined, now)).toBeUndefined();
    });

    it('reads every HTTP-date form as GMT, whatever zone the process runs in (asctime was read in its own)', () => {
      const now = Date.parse('2026-12-01T09:00:00Z');
      const zone = process.env.TZ;
      try {
        for (const tz of ['Asia/Tokyo', 'America/New_York']) {
          process.env.TZ = tz;
          // Node applies a TZ set at run time to the next Date operation; without that this proves nothing.
          expect(new Date(now).getTimezoneOffset()).not.toBe(0);

          expect(parseRetryAfter('Tue, 01 Dec 2026 09:01:00 GMT', now)).toBe(60_000);
          expect(parseRetryAfter('Tuesday, 01-Dec-26 09:01:00 GMT', now)).toBe(60_000);
          expect(parseRetryAfter('Tue Dec  1 09:01:00 2026', now)).toBe(60_000);
        }
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });
  });

  describe('with every connection to the origin in use', () => {
    it('starts the attempt when the request gets a connection, and sends nothing that got none in time', async () => {
      const one = new NodeHttpSender({ allowPrivateTargets: true, maxConnectionsPerOrigin: 1 });
      server.answer((req, res) => {
        if (req.url === '/slow') setTimeout(() => res.end('late'), 600);
        else res.end('ok');
      });
      try {
        // The second request waits for the first's connection, then goes: it reports the wait.
        const [slow, queued] = await Promise.all([
          one.send(request(`${base}/slow`, { timeoutMs: 2_000 })),
          one.send(request(`${base}/queued`, { timeoutMs: 2_000 })),
        ]);
        expect(slow).toMatchObject({ statusCode: 200 });
        expect(slow.waitedMs).toBeUndefined();
        expect(queued).toMatchObject({ statusCode: 200, waitedMs: expect.any(Number) });
        expect(queued.waitedMs).toBeGreaterThanOrEqual(500);

        // One whose timeout ends before a connection is free was never on the wire, and says so.
        const [, unsent] = await Promise.all([
          one.send(request(`${base}/slow`, { timeoutMs: 2_000 })),
          one.send(request(`${base}/never`, { timeoutMs: 200 })),
        ]);
        expect(unsent).toEqual({
          error: `not sent: all 1 connections to ${new URL(base).host} were in use for the whole 200 ms timeout`,
          errorKind: 'other',
        });

        // One that got a connection with less than half its timeout left is not sent either: an
        // answer in time could not come, and the retry would make it a duplicate.
        const [, late] = await Promise.all([
          one.send(request(`${base}/slow`, { timeoutMs: 2_000 })),
          one.send(request(`${base}/too-late`, { timeoutMs: 1_000 })),
        ]);
        expect(late).toMatchObject({ errorKind: 'other', waitedMs: expect.any(Number) });
        expect(late.error).toMatch(
          /^not sent: it waited \d+ ms for one of the 1 connections to .*, and less than half of its 1000 ms timeout was left for an answer$/,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(server.seen.map((s) => s.url)).toEqual(['/slow', '/queued', '/slow', '/slow']);
      } finally {
        one.close();
      }
    });
  });

  describe('failing without throwing', () => {
    it('gives up on a server that never answers within the timeout', async () => {
      server.answer(() => {});

      const started = performance.now();
      const result = await sender.send(request(base, { timeoutMs: 300 }));
      const elapsed = performance.now() - started;

      expect(result).toEqual({ error: 'timeout after 300 ms', errorKind: 'timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(295);
      expect(elapsed).toBeLessThan(450);
    });

    it('reports the status when the headers arrived but the body stalled past the timeout', async () => {
      server.answer((_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      });

      const result = await sender.send(request(base, { timeoutMs: 300 }));

      expect(withoutHeaders(result)).toEqual({
        statusCode: 200,
        responseSnippet: 'partial',
        error: 'timeout after 300 ms',
        errorKind: 'timeout',
      });
    });

    it('reports a refused connection', async () => {
      const closed = receiver();
      const url = await closed.start();
      await closed.stop();

      const result = await sender.send(request(url));

      expect(result.statusCode).toBeUndefined();
      expect(result.error).toMatch(/ECONNREFUSED/);
    });

    it('reports a header Node cannot send instead of throwing', async () => {
      const result = await sender.send(request(base, { headers: { 'x-bad': 'line\nbreak' } }));

      expect(result).toMatchObject({ error: expect.stringMatching(/ERR_INVALID_CHAR/), permanent: true });
      expect(server.connections()).toBe(0);
    });

    it('refuses URLs that are not http or https', async () => {
      expect(await sender.send(request('ftp://127.0.0.1/x'))).toEqual({
        error: 'unsupported target protocol ftp:',
        errorKind: 'invalid-request',
        permanent: true,
      });
      expect(await sender.send(request('not a url'))).toMatchObject({ permanent: true });
    });
  });

  describe('after a stall of this process (stopped, or its event loop blocked)', () => {
    it('reads the answer that came during the stall instead of calling it a timeout (and sending it again)', async () => {
      const target = await receiverThread(50);
      try {
        const sending = sender.send(request(`${target.url}/hook`, { timeoutMs: 1_000 }));
        await target.arrived();
        stall(2_500); // answered 50 ms in; the deadline passes long before the answer is read

        const result = await sending;

        expect(result.statusCode).toBe(200);
        expect(result.errorKind).toBeUndefined();
      } finally {
        await target.stop();
      }
    });

    it('reads an answer that came in time though the process was busy past the deadline by less than a stall', async () => {
      // Prepare: a 400 ms deadline, an answer 100 ms after the request arrived, and this process
      // busy until 100 ms past the deadline (a long turn, under STALL_LATENESS_MS late: no stall).
      // Its timer runs before the socket is read; expiring then called an answer 300 ms early a
      // timeout (seen in the chaos suite on a loaded machine: "listed as timeout, answered 200").
      const target = await receiverThread(100);
      try {
        const startedAt = performance.now();
        const sending = sender.send(request(`${target.url}/hook`, { timeoutMs: 400 }));
        await target.arrived();
        stall(startedAt + 500 - performance.now());

        const result = await sending;

        expect(result.statusCode).toBe(200);
        expect(result.errorKind).toBeUndefined();
      } finally {
        await target.stop();
      }
    });

    it('reads an answer with a body past the snippet that came during the stall: its head and snippet, in the one read it is given', async () => {
      const target = await receiverThread(50, { body: 'x'.repeat(4_096), headers: { 'x-answer': 'late-read' } });
      try {
        const sending = sender.send(request(`${target.url}/hook`, { timeoutMs: 1_000 }));
        await target.arrived();
        stall(1_500);

        const result = await sending;

        expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'x'.repeat(1_024) });
        expect(result.responseHeaders).toMatchObject({ 'x-answer': 'late-read' });
      } finally {
        await target.stop();
      }
    });

    it('calls an answer the receiver sent after the stall ended a timeout: a stall gives the deadline no time back', async () => {
      // Prepare: the 800 ms deadline passes during a 1.5 s stall; the receiver answers about 400 ms
      // after the stall ends, long past the timeout (giving the stall back, 700 ms here, read it as
      // in time).
      const target = await receiverThread(1_900);
      try {
        const sending = sender.send(request(`${target.url}/hook`, { timeoutMs: 800 }));
        await target.arrived();

        // Act
        stall(1_500);
        const result = await sending;

        // Assess
        expect(result.statusCode).toBeUndefined();
        expect(result).toMatchObject({ errorKind: 'timeout' });
        expect(result.error).toMatch(/^timeout after 800 ms \(this process stalled \d+ ms past it\)$/);
      } finally {
        await target.stop();
      }
    });

    it('still ends a request whose receiver never answers: as the stall ends, nothing given back', async () => {
      const target = await receiverThread(undefined);
      try {
        const started = performance.now();
        const sending = sender.send(request(`${target.url}/hook`, { timeoutMs: 400 }));
        await target.arrived();
        stall(1_500);

        const result = await sending;
        const elapsed = performance.now() - started;

        expect(result).toMatchObject({ errorKind: 'timeout' });
        expect(result.error).toMatch(/^timeout after 400 ms \(this process stalled \d+ ms past it\)$/);
        expect(elapsed).toBeGreaterThanOrEqual(1_500);
        expect(elapsed).toBeLessThan(1_500 + 300);
      } finally {
        await target.stop();
      }
    });
  });

  describe('telling how it failed, by the error code', () => {
    it('says refused for a closed port, timeout for a receiver that never answers, reset for one that cuts the connection', async () => {
      // Prepare: a port nobody listens on any more, and receivers that stall or reset.
      const closed = receiver();
      const closedUrl = await closed.start();
      await closed.stop();

      // Act
      const refused = await sender.send(request(closedUrl));
      server.answer(() => {});
      const timedOut = await sender.send(request(base, { timeoutMs: 200 }));
      server.answer((req) => req.socket.destroy());
      const reset = await sender.send(request(base));
      server.answer((req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => req.socket.destroy());
      });
      const cutMidBody = await sender.send(request(base));

      // Assess
      expect(refused).toMatchObject({ errorKind: 'connection-refused', error: expect.stringMatching(/ECONNREFUSED/) });
      expect(timedOut).toEqual({ error: 'timeout after 200 ms', errorKind: 'timeout' });
      expect(reset).toMatchObject({ errorKind: 'connection-reset' });
      expect(reset.statusCode).toBeUndefined();
      expect(cutMidBody).toMatchObject({ statusCode: 200, errorKind: 'connection-reset' });
    });

    it('says dns for a name that does not resolve, and invalid-request for a header Node cannot send', async () => {
      const unresolvable = await sender.send(request('http://no-such-host.invalid/hook', { timeoutMs: 5_000 }));
      const invalid = await sender.send(request(base, { headers: { 'x-bad': 'line\nbreak' } }));

      expect(unresolvable).toMatchObject({ errorKind: 'dns', error: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
      expect(invalid).toMatchObject({ errorKind: 'invalid-request', permanent: true });
    });

    it('gives up on a receiver that takes the connection but never answers the TLS handshake, at the timeout', async () => {
      const silent = net.createServer((socket) => socket.on('error', () => {}));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));

      const result = await sender.send(
        request(`https://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { timeoutMs: 300 }),
      );
      silent.close();

      expect(result).toEqual({ error: 'timeout after 300 ms', errorKind: 'timeout' });
    });

    it('says tls when the secure connection fails (an HTTP server on an https URL)', async () => {
      const result = await sender.send(request(base.replace('http:', 'https:')));

      expect(result).toMatchObject({ errorKind: 'tls' });
    });
  });

  describe('keeping the response headers', () => {
    it('keeps them with names lower-cased, in the order they came', async () => {
      server.answer((_req, res) =>
        res
          .writeHead(202, [
            ['X-Request-Id', 'req_1'],
            ['Content-Type', 'application/json'],
            ['Set-Cookie', 'a=1'],
            ['Set-Cookie', 'b=2'],
          ])
          .end('{}'),
      );

      const { responseHeaders = {}, responseHeadersOmitted } = await sender.send(request(base));

      expect(Object.keys(responseHeaders).slice(0, 3)).toEqual(['x-request-id', 'content-type', 'set-cookie']);
      // A cookie is the receiver's credential: its name is kept, never its value.
      expect(responseHeaders).toMatchObject({ 'x-request-id': 'req_1', 'set-cookie': WITHHELD_HEADER_VALUE });
      expect(responseHeadersOmitted).toBeUndefined();
    });

    it('keeps at most 32 headers and 2 KiB of them, and counts those left out', async () => {
      // 40 headers of ~100 bytes each, then a small one that still fits after a large one is left out.
      server.answer((_req, res) => {
        for (let i = 0; i < 40; i += 1) res.setHeader(`x-h${String(i).padStart(2, '0')}`, 'v'.repeat(90));
        res.end('ok');
      });

      const { responseHeaders = {}, responseHeadersOmitted = 0 } = await sender.send(request(base));

      const kept = Object.keys(responseHeaders);
      expect(Buffer.byteLength(JSON.stringify(responseHeaders))).toBeLessThanOrEqual(2048);
      expect(kept.length).toBeLessThanOrEqual(32);
      expect(kept[0]).toBe('x-h00');
      // 40 of Node's own + connection, content-length, date, keep-alive: what is not kept is counted.
      expect(kept.length + responseHeadersOmitted).toBe(44);
    });
    it('reads a header value sent as UTF-8 as UTF-8 (`café` was kept as `cafÃ©`), and any other byte as one character', async () => {
      const raw = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () =>
          socket.end(
            Buffer.concat([
              Buffer.from('HTTP/1.1 200 OK\r\nx-utf8: café ✓\r\nx-latin1: caf', 'utf8'),
              Buffer.from([0xe9, 0x0d, 0x0a]), // é in Latin-1, not UTF-8
              Buffer.from('content-length: 2\r\n\r\nok'),
            ]),
          ),
        );
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));

      const { responseHeaders } = await sender.send(
        request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`),
      );
      raw.close();

      expect(responseHeaders).toEqual({ 'x-utf8': 'café ✓', 'x-latin1': 'café', 'content-length': '2' });
    });

    it('counts every header left out however many came (Node read 1,000), keeps repeats Node dropped, and any name', async () => {
      // Prepare: 2,100 short headers (14 KiB, within Node's 16 KiB for a head), after a `constructor`,
      // a `__proto__` and a `content-type` given twice.
      const names = Array.from({ length: 2_100 }, (_, i) => `h${(36 + i).toString(36)}`);
      const head = [
        'constructor: c',
        '__proto__: p',
        'content-type: text/plain',
        'content-type: text/html',
        ...names.map((name) => `${name}:`),
        'content-length: 2',
      ].join('\r\n');
      const raw = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\n${head}\r\n\r\nok`));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));

      // Act
      const { responseHeaders = {}, responseHeadersOmitted = 0 } = await sender.send(
        request(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`),
      );
      raw.close();

      // Assess: 2,104 names came (the `content-type`s are one); 32 kept, every other one counted.
      expect(responseHeaders).toMatchObject({ constructor: 'c', 'content-type': 'text/plain, text/html' });
      expect(Object.hasOwn(responseHeaders, '__proto__')).toBe(false);
      expect(Object.keys(responseHeaders)).toHaveLength(32);
      expect(Object.keys(responseHeaders).length + responseHeadersOmitted).toBe(2_104);
    });
  });

  describe('guarding targets', () => {
    const guarded = new NodeHttpSender({ allowPrivateTargets: false });
    afterAll(() => guarded.close());

    it('refuses a loopback IP literal before connecting', async () => {
      const result = await guarded.send(request(base));

      expect(result).toEqual({
        error: 'target address not allowed: 127.0.0.1 is loopback',
        errorKind: 'blocked-target',
        permanent: true,
      });
      expect(server.connections()).toBe(0);
    });

    it('refuses a name that resolves to loopback, and IPv6 forms of loopback', async () => {
      const port = new URL(base).port;

      const byName = await guarded.send(request(`http://localhost:${port}/`));
      const mapped = await guarded.send(request(`http://[::ffff:127.0.0.1]:${port}/`));
      const v6 = await guarded.send(request(`http://[::1]:${port}/`));

      expect(byName).toMatchObject({ permanent: true });
      expect(byName.error).toMatch(/^target address not allowed: (127\.0\.0\.1|::1) is loopback$/);
      expect(mapped).toMatchObject({ error: expect.stringMatching(/is loopback$/), permanent: true });
      expect(v6).toEqual({
        error: 'target address not allowed: ::1 is loopback',
        errorKind: 'blocked-target',
        permanent: true,
      });
      expect(server.connections()).toBe(0);
      expect(server.seen).toHaveLength(0);
    });

    it('refuses a name that resolves to a public and a private address, whichever comes first (every address is checked, asked again at each connect)', async () => {
      // A rebinding name's name server: a TTL of 0, and a new answer each time it is asked.
      const nameServer = fakeDns();
      const rebinding = new NodeHttpSender({ allowPrivateTargets: false, dnsServers: [await nameServer.start()] });
      const answers = [
        ['93.184.215.14', '127.0.0.1'],
        ['10.0.0.7', '93.184.215.14'],
        ['2606:2800:21f:cb07::1', '::ffff:169.254.169.254'],
      ];
      try {
        const results: SendResult[] = [];
        for (const addresses of answers) {
          nameServer.answer('rebinding.example', { addresses, ttlS: 0 });
          results.push(await rebinding.send(request('http://rebinding.example/hook')));
        }

        expect(results).toEqual([
          { error: 'target address not allowed: 127.0.0.1 is loopback', errorKind: 'blocked-target', permanent: true },
          { error: 'target address not allowed: 10.0.0.7 is private', errorKind: 'blocked-target', permanent: true },
          {
            error: 'target address not allowed: ::ffff:169.254.169.254 is link-local',
            errorKind: 'blocked-target',
            permanent: true,
          },
        ]);
        expect(nameServer.queries('rebinding.example')).toBe(3 * 2); // A and AAAA, at each of the 3 connects
      } finally {
        rebinding.close();
        await nameServer.stop();
      }
    });

    it('lets the same target through when private targets are allowed', async () => {
      const result = await sender.send(request(base));

      expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'ok' });
    });
  });
});

describe("NodeHttpSender and the local stack's own ports", () => {
  // A stand-in for one of the stack's services (dynalite, say), on every address of this host.
  let hits = 0;
  const service = http.createServer((_req, res) => {
    hits += 1;
    res.end('{"Items":[{"secret":"whsec_..."}]}');
  });
  let port: number;
  let sender: NodeHttpSender;
  beforeAll(async () => {
    await new Promise<void>((resolve) => service.listen(0, '::', resolve));
    port = (service.address() as AddressInfo).port;
    // As the local stack wires it: private targets allowed, its own ports reserved.
    sender = new NodeHttpSender({
      allowPrivateTargets: true,
      reservedEndpoints: [{ name: 'DynamoDB (dynalite)', port }],
    });
  });
  afterAll(async () => {
    sender.close();
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.2', '127.0.0.2'],
    ['[::1]', '::1'],
    ['0.0.0.0', '0.0.0.0'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['2130706433', '127.0.0.1'],
  ])('refuses %s on a reserved port before connecting, with private targets allowed', async (host, shown) => {
    const result = await sender.send(
      request(`http://${host}:${port}/`, { headers: { 'x-amz-target': 'DynamoDB_20120810.Scan' } }),
    );

    expect(result).toEqual({
      error: `target address not allowed: ${shown} port ${port} is this local stack's own DynamoDB (dynalite)`,
      errorKind: 'blocked-target',
      permanent: true,
    });
    expect(hits).toBe(0);
  });

  it('refuses a name that resolves to loopback on a reserved port (checked on the resolved address)', async () => {
    const result = await sender.send(request(`http://localhost:${port}/`));

    expect(result).toMatchObject({ permanent: true });
    expect(result.error).toMatch(/^target address not allowed: (127\.0\.0\.1|::1) port \d+ is this local stack's own/);
    expect(hits).toBe(0);
  });

  it("refuses this host's own network addresses on a reserved port", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (!external) return; // a machine with loopback only: nothing more to check
    const result = await sender.send(request(`http://${external}:${port}/`));

    expect(result).toEqual({
      error: `target address not allowed: ${external} port ${port} is this local stack's own DynamoDB (dynalite)`,
      errorKind: 'blocked-target',
      permanent: true,
    });
    expect(hits).toBe(0);
  });

  it('still sends to the same host on a port that is not reserved', async () => {
    const other = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const result = await sender.send(request(`http://localhost:${(other.address() as AddressInfo).port}/`));
      expect(withoutHeaders(result)).toEqual({ statusCode: 200, responseSnippet: 'ok' });
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });
});

describe("NodeHttpSender's name lookups", () => {
  // The tenants' name servers, as one: names under hang.example are never answered.
  const nameServer = fakeDns();
  const server = receiver();
  let base: string;
  let servers: string[];
  const senders: NodeHttpSender[] = [];
  const senderAsking = (over: Partial<ConstructorParameters<typeof NodeHttpSender>[0]> = {}) => {
    const made = new NodeHttpSender({ allowPrivateTargets: true, dnsServers: servers, ...over });
    senders.push(made);
    return made;
  };
  beforeAll(async () => {
    servers = [await nameServer.start()];
    nameServer.ignore('hang.example');
    base = await server.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    for (const made of senders) made.close();
    await server.stop();
    await nameServer.stop();
  });

  it("resolves off Node's thread pool: while 8 sends wait on a name server that never answers, other sends and file reads go through, and each waiting send ends as a DNS timeout at its timeout", async () => {
    // Prepare
    const port = new URL(base).port;
    nameServer.answer('receiver.example', { addresses: ['127.0.0.1'] });
    const sender = senderAsking();
    let hangingEnded = 0;
    const hanging = Array.from({ length: 8 }, (_, i) =>
      sender.send(request(`http://tenant-${i}.hang.example/hook`, { timeoutMs: 1_500 })).finally(() => {
        hangingEnded += 1;
      }),
    );
    await vi.waitFor(() => {
      for (let i = 0; i < 8; i += 1) expect(nameServer.queries(`tenant-${i}.hang.example`)).toBe(2);
    });

    // Act: another tenant's sends (an address, a name its name server answers, localhost), and a file read.
    const others = await Promise.all([
      sender.send(request(base)),
      sender.send(request(`http://receiver.example:${port}/`)),
      sender.send(request(`http://localhost:${port}/`)),
      readFile(new URL(import.meta.url), 'utf8'),
    ]);
    const endedMeanwhile = hangingEnded;
    const results = await Promise.all(hanging);

    // Assess
    expect(endedMeanwhile).toBe(0);
    expect(others.slice(0, 3).map((r) => (r as SendResult).statusCode)).toEqual([200, 200, 200]);
    expect(others[3]).toContain("NodeHttpSender's name lookups");
    expect(results).toEqual(
      Array.from({ length: 8 }, (_, i) => ({
        error: `DNS lookup of tenant-${i}.hang.example: no answer within the 1500 ms timeout (ETIMEOUT)`,
        errorKind: 'dns',
      })),
    );
    expect(nameServer.queries('localhost')).toBe(0);
  });

  it('says dns, in so many words, for a name that does not exist, and asks nothing of a .invalid one', async () => {
    const sender = senderAsking();

    const nowhere = await sender.send(request('http://nowhere.example/hook'));
    const invalid = await sender.send(request('http://nowhere.invalid/hook'));

    expect(nowhere).toEqual({ error: 'DNS lookup of nowhere.example: no such name (ENOTFOUND)', errorKind: 'dns' });
    expect(invalid).toEqual({ error: 'DNS lookup of nowhere.invalid: no such name (ENOTFOUND)', errorKind: 'dns' });
    expect(nameServer.queries('nowhere.invalid')).toBe(0);
  });

  it("asks the operating system's resolver for a name the name servers do not know, given one (the local stack: mDNS, a VPN's names), never after a timeout; and keeps no timeout: the next lookup asks again", async () => {
    // Prepare: the system's resolver, as getaddrinfo would answer, knows printer.local and the hanging name.
    const asked: string[] = [];
    const systemLookup = async (hostname: string) => {
      asked.push(hostname);
      return [{ address: '192.0.2.7', family: 4 }];
    };
    const trusting = new TargetResolver({ servers, systemLookup });
    const publicOnly = new TargetResolver({ servers });
    try {
      // Act
      const local = await trusting.resolve('printer.local', 5_000);
      const refused = await publicOnly.resolve('printer.local', 5_000).catch((err: Error) => err.message);
      // A name server down through both tries of a query, then back (waited out beside the hanging name's).
      nameServer.ignore('recovering.example');
      const [hanging, down] = await Promise.all(
        ['x.hang.example', 'recovering.example'].map((name) =>
          trusting.resolve(name, 20_000).catch((err: Error) => err.message),
        ),
      );
      nameServer.heed('recovering.example');
      nameServer.answer('recovering.example', { addresses: ['192.0.2.8'] });
      const back = await trusting.resolve('recovering.example', 1_000);

      // Assess: the name servers said no such name, the system's answer is used; a name server that
      // never answered is not asked around (getaddrinfo would wait on a pool thread as long).
      expect(local).toEqual([{ address: '192.0.2.7', family: 4 }]);
      expect(refused).toBe('DNS lookup of printer.local: no such name (ENOTFOUND)');
      expect(hanging).toBe('DNS lookup of x.hang.example: no answer from the name server (ETIMEOUT)');
      expect(asked).toEqual(['printer.local']);
      // A timeout is not kept as the name's answer: the lookup right after it asks, and finds it.
      expect(down).toBe('DNS lookup of recovering.example: no answer from the name server (ETIMEOUT)');
      expect(back).toEqual([{ address: '192.0.2.8', family: 4 }]);
    } finally {
      trusting.close();
      publicOnly.close();
    }
  });

  it('sends over IPv4 at once when the name server never answers the AAAA query', async () => {
    nameServer.answer('no-aaaa.example', { addresses: ['127.0.0.1'], ttlS: 0, unanswered: 'AAAA' });

    const result = await senderAsking().send(
      request(`http://no-aaaa.example:${new URL(base).port}/`, { timeoutMs: 1_000 }),
    );

    expect(result.statusCode).toBe(200);
  });

  it('keeps an answer for its TTL: a burst to one name asks once', async () => {
    // Prepare
    const port = new URL(base).port;
    nameServer.answer('burst.example', { addresses: ['127.0.0.1'], ttlS: 300 });
    const sender = senderAsking();

    // Act
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => sender.send(request(`http://burst.example:${port}/`))),
    );
    await server.reset(); // no kept-alive connection: the next send connects, and looks the name up
    const later = await sender.send(request(`http://burst.example:${port}/`));

    // Assess
    expect([...burst, later].map((r) => r.statusCode)).toEqual(Array(11).fill(200));
    expect(nameServer.queries('burst.example')).toBe(2); // one A, one AAAA
  });

  it('keeps an answer at most a minute whatever its TTL, and the latest 1,000 names', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['performance'] });
    const resolver = new TargetResolver({ servers });
    const names = Array.from({ length: CACHE_MAX_NAMES + 1 }, (_, i) => `kept-${i}.example`);
    for (const name of names) nameServer.answer(name, { addresses: ['192.0.2.1'], ttlS: 3_600 });
    try {
      // Act: every name once (the first is then the oldest of 1,001), the last again a minute on.
      for (let i = 0; i < names.length; i += 100) {
        await Promise.all(names.slice(i, i + 100).map((name) => resolver.resolve(name, 5_000)));
      }
      await resolver.resolve(names[1]!, 5_000);
      await resolver.resolve(names[0]!, 5_000);
      const lastAsked = nameServer.queries(names.at(-1)!);
      vi.advanceTimersByTime(59_000);
      await resolver.resolve(names.at(-1)!, 5_000);
      const within = nameServer.queries(names.at(-1)!);
      vi.advanceTimersByTime(1_000);
      await resolver.resolve(names.at(-1)!, 5_000);

      // Assess: the oldest dropped, the next kept; the last kept 59 s, asked again at 60 s.
      expect(nameServer.queries(names[0]!)).toBe(4);
      expect(nameServer.queries(names[1]!)).toBe(2);
      expect([lastAsked, within, nameServer.queries(names.at(-1)!)]).toEqual([2, 2, 4]);
    } finally {
      vi.useRealTimers();
      resolver.close();
    }
  });

  it('answers the names of the hosts file from it, and localhost as loopback, without a query', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-hosts-'));
    const hostsFile = path.join(dir, 'hosts');
    await writeFile(hostsFile, '# a comment\n127.0.0.1\treceiver.internal other.internal # the receiver\n');
    const sender = senderAsking({ hostsFile });

    // Act: its name, and localhost's (RFC 6761: always this host, though this file does not name it).
    const port = new URL(base).port;
    const results = await Promise.all(
      ['Receiver.Internal', 'localhost', 'hooks.localhost'].map((name) =>
        sender.send(request(`http://${name}:${port}/`)),
      ),
    );

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    for (const name of ['receiver.internal', 'localhost', 'hooks.localhost']) expect(nameServer.queries(name)).toBe(0);
    await rm(dir, { recursive: true });
  });

  it('connects over the address families this host has beyond loopback, as getaddrinfo did', async () => {
    // Prepare: a receiver on IPv6 only, whose name has an IPv4 address that refuses too.
    const v6Only = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => v6Only.listen(0, '::1', resolve));
    const target = request(`http://both.example:${(v6Only.address() as AddressInfo).port}/`);
    nameServer.answer('both.example', { addresses: ['127.0.0.1', '::1'], ttlS: 60 });

    // Act
    const fromIpv4Host = await senderAsking({ interfaceAddresses: ['127.0.0.1', '::1', 'fe80::1', '192.0.2.10'] }).send(
      target,
    );
    const fromDualStackHost = await senderAsking({ interfaceAddresses: ['192.0.2.10', '2001:db8::10'] }).send(target);
    v6Only.closeAllConnections();
    v6Only.close();

    // Assess
    expect(fromIpv4Host).toMatchObject({
      errorKind: 'connection-refused',
      error: expect.stringContaining('127.0.0.1'),
    });
    expect(fromDualStackHost.statusCode).toBe(200);
  });

  it('gives a connection opened ahead to a name that never resolves up by the timeout, as a DNS timeout', async () => {
    const sender = senderAsking();
    const slow = request('http://ahead.hang.example/hook', { timeoutMs: 400 });

    sender.connectAhead(slow);
    const result = await sender.send(slow);

    expect(result).toMatchObject({
      errorKind: 'dns',
      error: expect.stringMatching(/^DNS lookup of ahead\.hang\.example: .*\(ETIMEOUT\)$/),
    });
  });

  it('never connects, ahead or at the send, to a name that resolves to an address the policy refuses', async () => {
    // Prepare
    nameServer.answer('inside.example', { addresses: ['93.184.215.14', '127.0.0.1'], ttlS: 0 });
    const guarded = senderAsking({ allowPrivateTargets: false });
    const target = request(`http://inside.example:${new URL(base).port}/`);

    // Act
    guarded.connectAhead(target);
    await vi.waitFor(() => expect(nameServer.queries('inside.example')).toBe(2));
    const result = await guarded.send(target);

    // Assess
    expect(result).toEqual({
      error: 'target address not allowed: 127.0.0.1 is loopback',
      errorKind: 'blocked-target',
      permanent: true,
    });
    expect(server.connections()).toBe(0);
  });
});
