/**
 * The local gateway (the stack's public port) after a stall of its process (SIGSTOP, a paused VM):
 * its bounds on a connection, how long a request may take to arrive and how long an idle
 * kept-alive connection stays open, are kept in the process's own time. Node kept them by the
 * clock, in timers that after a stall run before the sockets are read: a request sent in good time
 * was answered 408 ("must arrive within 30 s") once the stack stopped for over 10 s, and a
 * connection idle across a stall was closed as the process resumed, under the next request its
 * client sent on it. The gateway runs in a child process (test-support/local-gateway-child.ts)
 * with its bounds shortened, so a stall of 4 s outlasts them. And that process with no file
 * descriptor left, as a flood of connections leaves it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttpConnection } from '../../../test-support/raw-http-connection';
import { endStoppedChild } from '../../../test-support/stall';

/** The gateway's arrival bound here (its head's too): 2 s. */
const ARRIVAL_MS = 2_000;
/** Its keep-alive timeout here: 1 s, advertised; an idle connection is closed a second after that. */
const KEEP_ALIVE_MS = 1_000;
/** A stall of the gateway's process, longer than each of those bounds. */
const STALL_MS = 4_000;

let child: ChildProcess | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await endStoppedChild(child);
  child = undefined;
});

/** Runs the gateway in a child process with these bounds; resolves with its port. */
const startGatewayChild = async (options: {
  requestArrivalTimeoutMs: number;
  keepAliveTimeoutMs: number;
  outOfFiles?: boolean;
}) => {
  child = spawn(process.execPath, ['--import', 'tsx', 'test-support/local-gateway-child.ts', JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return Number(line.toString().trim());
};

/** A raw connection to the gateway, closed after the test. */
const connection = async (port: number) => {
  const opened = await rawHttpConnection(port);
  sockets.push(opened.socket);
  return opened;
};

const JSON_HEAD = 'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n';

describe("the local gateway's bounds on a request's arrival, after a stall of its process", () => {
  it('answers requests whose head or body was arriving when its process stopped past those bounds, not 408 as if their clients were slow, and still answers 408 to a client that never finishes', async () => {
    // Arrange: a request with its head half sent (POST /v1/messages, the key refused: 401); one
    // with its head sent and its body half (an open route: 201); one whose head never ends.
    const port = await startGatewayChild({ requestArrivalTimeoutMs: ARRIVAL_MS, keepAliveTimeoutMs: 65_000 });
    const [halfHead, halfBody, neverEnds] = await Promise.all([connection(port), connection(port), connection(port)]);
    halfHead.write('POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    halfBody.write(`POST /canary-receiver HTTP/1.1\r\nHost: 127.0.0.1\r\n${JSON_HEAD}{"u`);
    neverEnds.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(300);

    // Act: the process stops for longer than the bounds; the two requests are finished meanwhile.
    child?.kill('SIGSTOP');
    await sleep(500);
    halfHead.write(`Authorization: Bearer vgl_nokey\r\n${JSON_HEAD}{"u":"vw"}`);
    halfBody.write('":"vw"}');
    await sleep(STALL_MS - 500);
    child?.kill('SIGCONT');
    const resumedAt = performance.now();

    // Assert: each finished request is answered by its route, on time; the unfinished one gets its
    // 408, the stall given back to it (its bound again at most), not kept open for good.
    expect(await halfHead.answer()).toMatch(/^HTTP\/1\.1 401 /);
    const made = await halfBody.answer();
    expect(made).toMatch(/^HTTP\/1\.1 201 /);
    expect(made).toContain('made');
    const late = await neverEnds.answer();
    expect(late).toMatch(/^HTTP\/1\.1 408 /);
    expect(late).toContain('content-type: application/problem+json');
    expect(JSON.parse(late.slice(late.indexOf('\r\n\r\n') + 4))).toMatchObject({
      type: 'https://vigil.dev/problems/timeout',
      status: 408,
      detail: expect.stringContaining('within 2 s'),
    });
    expect(performance.now() - resumedAt).toBeLessThan(ARRIVAL_MS + 1_500);
  }, 20_000);
});

describe("the local gateway's kept-alive connections, after a stall of its process", () => {
  it('stay open across the stall for the next request, sent during it or just after, not closed under it as the process resumes', async () => {
    // Arrange: two kept-alive connections, each with one request answered (an unknown route: 404).
    const port = await startGatewayChild({ requestArrivalTimeoutMs: 30_000, keepAliveTimeoutMs: KEEP_ALIVE_MS });
    const request = 'GET /no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const [sentDuring, sentAfter] = await Promise.all([connection(port), connection(port)]);
    for (const client of [sentDuring, sentAfter]) {
      client.write(request);
      const answer = await client.answer();
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
      expect(answer).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
    }

    // Act: the process stops for longer than the idle timeout; one client sends its next request
    // meanwhile, the other once the process has resumed.
    child?.kill('SIGSTOP');
    await sleep(500);
    sentDuring.write(request);
    await sleep(STALL_MS - 500);
    child?.kill('SIGCONT');
    await sleep(300);
    sentAfter.write(request);

    // Assert: both answered on the connection they had.
    expect(await sentDuring.answer()).toMatch(/^HTTP\/1\.1 404 /);
    expect(await sentAfter.answer()).toMatch(/^HTTP\/1\.1 404 /);
  }, 20_000);

  it('are still closed once idle past the timeout, when the process runs', async () => {
    const port = await startGatewayChild({ requestArrivalTimeoutMs: 30_000, keepAliveTimeoutMs: KEEP_ALIVE_MS });
    const client = await connection(port);
    client.write('GET /no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await client.answer()).toMatch(/^HTTP\/1\.1 404 /);
    const idleFrom = performance.now();

    // Closed by the gateway a second after the advertised timeout (as Node's own timer did).
    expect(await client.answer()).toBe('no answer: closed');
    expect(performance.now() - idleFrom).toBeGreaterThan(KEEP_ALIVE_MS);
    expect(performance.now() - idleFrom).toBeLessThan(KEEP_ALIVE_MS + 2_500);
  });
});

describe('the local gateway with no file descriptor left (a flood of connections, as from 200 tenants at once)', () => {
  it("still answers a route met first then, and goes on once descriptors are free: a route's function loaded on its first request failed (EMFILE), Node's module cache kept the failure, and the route answered 500 until a restart", async () => {
    const port = await startGatewayChild({
      requestArrivalTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      outOfFiles: true,
    });
    const during = await connection(port);
    during.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(await during.answer()).toMatch(/^HTTP\/1\.1 201 /);

    child?.kill('SIGUSR2');
    await sleep(200);
    const after = await connection(port);
    after.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await after.answer()).toMatch(/^HTTP\/1\.1 201 /);
  });
});
