/**
 * The stack's services (dynalite, fauxqs for SQS, the scheduler and API Gateway emulators) are
 * reached only by the stack's own clients, whose deadlines know a stall of
 * the process (stall-aware-deadline.ts). Node's HTTP server keeps its own bounds on how long a
 * request may take to arrive (headersTimeout, 60 s; requestTimeout, 300 s), judged by the clock
 * in a check that, after a stall (SIGSTOP, a paused VM), runs before the sockets are read: a
 * request whose head was arriving when the process stopped was answered 408 (which the AWS SDK
 * reads as an UnknownError it does not retry: "usage journal: fold failed ... Unknown: UnknownError"
 * after a 90 s SIGSTOP of `npm start`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttpConnection } from '../../../test-support/raw-http-connection';
import { endStoppedChild } from '../../../test-support/stall';
import type { LocalServices } from './stack-services';

/** Longer than Node's default headersTimeout (60 s), which a stall of the services' process outlasts. */
const STALL_MS = 62_000;

/** Longer than Node's default keep-alive timeout, 5 s, and the second it waits beyond it. */
const KEEP_ALIVE_STALL_MS = 7_000;

const sockets: Socket[] = [];

/** Runs test-support/local-services-child.ts; resolves with it and its services' endpoints. */
const startServicesChild = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-stall-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test-support/local-services-child.ts', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { child, endpoints: JSON.parse(line.toString()) as LocalServices['endpoints'] };
};

/** A request to `endpoint` whose head has begun to arrive: its first line and Host. */
const beginRequest = async (endpoint: string): Promise<{ socket: Socket; answer: Promise<string> }> => {
  const { hostname, port } = new URL(endpoint);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
  socket.write(`POST / HTTP/1.1\r\nHost: ${hostname}:${port}\r\n`);
  return { socket, answer };
};

describe("the local stack's services, after a stall of their process", () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await endStoppedChild(child);
    child = undefined;
  });

  it(
    'answer a request whose head was arriving when their process stopped, not 408 as if its client were slow',
    async () => {
      // Arrange: one request to each service, its head half sent, read by the service.
      const started = await startServicesChild();
      child = started.child;
      const { dynamo, sqs, scheduler, apigateway } = started.endpoints;
      const requests = await Promise.all(
        [dynamo, sqs, scheduler, apigateway].map((endpoint) => beginRequest(endpoint)),
      );
      await sleep(300);

      // Act: the process stops for longer than Node's head bound; the rest of each head arrives meanwhile.
      child.kill('SIGSTOP');
      for (const { socket } of requests)
        socket.write('Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}');
      await sleep(STALL_MS);
      child.kill('SIGCONT');
      const answers = await Promise.all(requests.map(({ answer }) => answer));
      for (const { socket } of requests) socket.destroy();

      // Assert: each answered by the service itself (a body it describes), none by Node's bare 408.
      for (const answer of answers) {
        expect(answer).not.toMatch(/^HTTP\/1\.1 408/);
        expect(answer).toMatch(/\r\ncontent-type: /i);
      }
    },
    STALL_MS + 30_000,
  );

  it('keep a connection idle across a stall of their process open for the next request, sent during it or just after, not closed under it as the process resumes', async () => {
    // Arrange: two kept-alive connections to each service, each with one request answered.
    const started = await startServicesChild();
    child = started.child;
    const request = (host: string) =>
      `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}`;
    const clients = await Promise.all(
      Object.entries(started.endpoints).flatMap(([name, endpoint]) => {
        const { host, port } = new URL(endpoint);
        return ['sent during', 'sent after'].map(async (when) => {
          const connection = await rawHttpConnection(Number(port));
          sockets.push(connection.socket);
          connection.write(request(host));
          expect(await connection.answer(), name).toMatch(/^HTTP\/1\.1 \d{3} /);
          return { name: `${name}, ${when}`, when, host, connection };
        });
      }),
    );

    // Act: the process stops for longer than Node's 5 s keep-alive timeout (and its second of
    // grace); half the clients send their next request meanwhile, half once it has resumed.
    child.kill('SIGSTOP');
    await sleep(500);
    for (const { when, host, connection } of clients) if (when === 'sent during') connection.write(request(host));
    await sleep(KEEP_ALIVE_STALL_MS - 500);
    child.kill('SIGCONT');
    await sleep(300);
    for (const { when, host, connection } of clients) if (when === 'sent after') connection.write(request(host));

    // Assert: each answered on the connection it had.
    const answers: Record<string, string> = {};
    for (const { name, connection } of clients) answers[name] = (await connection.answer()).split('\r\n')[0] ?? '';
    expect(answers).toEqual(
      Object.fromEntries(clients.map(({ name }) => [name, expect.stringMatching(/^HTTP\/1\.1 \d{3} /)])),
    );
  }, 30_000);

  it('listen on 127.0.0.1 only, unreachable from the network', async () => {
    const started = await startServicesChild();
    child = started.child;

    // A port bound on every address (0.0.0.0) cannot be bound again on another loopback address;
    // one bound on 127.0.0.1 alone can. (fauxqs bound 0.0.0.0.)
    for (const [name, endpoint] of Object.entries(started.endpoints)) {
      const { hostname, port } = new URL(endpoint);
      expect(hostname, name).toBe('127.0.0.1');
      const other = createServer();
      const bound = await new Promise<string>((resolve) => {
        other.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
        other.listen(Number(port), '127.0.0.2', () => resolve('bound'));
      });
      await new Promise((resolve) => other.close(resolve));
      expect(bound, `${name} (port ${port}) bound on every address`).toBe('bound');
    }
  });
});
