/**
 * A try that timed out ends its connection too, so a script (or the CLI) that got its
 * VigilTimeoutError exits then, not when undici's own 300 s headers timeout ends the socket. Node's
 * fetch follows a Request's signal through a weak reference: a garbage collection during the try
 * used to cut it. The child process forces one, which is what some seconds of a real wait bring.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  socket.on('error', () => {});
  sockets.add(socket);
});
let port: number;
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const SCRIPT = `
const { Vigil, VigilTimeoutError } = await import(${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))});
const vigil = new Vigil({ apiKey: 'vgl_x', baseUrl: process.argv[1], timeoutMs: 1000, retries: 0 });
setTimeout(() => globalThis.gc(), 500);
const started = Date.now();
const error = await vigil.messages.get('msg_01KBXNJ6QH3V0M6S1JZ6Z5ZB7Q').catch((e) => e);
console.log(JSON.stringify({ timedOut: error instanceof VigilTimeoutError, afterMs: Date.now() - started }));
`;

it('lets the process exit once a try has timed out, though the server never answers', async () => {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', SCRIPT, `http://127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const started = Date.now();
  const exited = await new Promise<boolean>((resolve) => {
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 8_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve(true);
    });
  });

  expect(JSON.parse(out)).toMatchObject({ timedOut: true });
  expect(exited, 'the process still ran 8 s after its call timed out at 1 s').toBe(true);
  expect(Date.now() - started).toBeLessThan(8_000);
});
