/**
 * The web app's preload (end-with-parent.mjs): a process started with it, its stdin a pipe from
 * the stack and VIGIL_END_WITH_PARENT set, ends when the stack is killed with -9, which nothing
 * in the stack can answer; the kernel closes the pipe. Its own children, started without stdin,
 * are left alone. (The web app runs it as `node --import end-with-parent.mjs next …`, web-app.ts.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const PRELOAD = pathToFileURL(join(__dirname, 'end-with-parent.mjs')).href;

/** A stand-in for the stack: starts a long-lived child as web-app.ts does, prints its pid, and waits. */
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['--import', process.argv[1], '-e', process.argv[2]], {
  env: { ...process.env, VIGIL_END_WITH_PARENT: '1' },
  stdio: ['pipe', 'inherit', 'inherit'],
});
console.log(child.pid);
setInterval(() => {}, 1000);
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the stand-in stack with `childScript` as its child; resolves with the first `count` pids printed. */
const startParent = async (childScript: string, count = 1) => {
  const parent = spawn(process.execPath, ['-e', PARENT, PRELOAD, childScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pids = await new Promise<number[]>((resolve) => {
    let out = '';
    parent.stdout.on('data', (chunk) => {
      out += String(chunk);
      const numbers = out.split('\n').filter(Boolean).map(Number);
      if (numbers.length >= count) resolve(numbers);
    });
  });
  return { parent, pids };
};

describe('a process started with end-with-parent.mjs', () => {
  it('ends when the process that started it is killed with -9', async () => {
    const { parent, pids } = await startParent('setInterval(() => {}, 1000)');
    const [pid] = pids as [number];
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5_000, interval: 100 });
  });

  it('leaves the processes it starts without stdin alone: only the one the stack started watches', async () => {
    // The child starts a grandchild with the preload (as a fork inherits it) and no stdin, as Next.js may.
    const grandchild = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['--import', '${PRELOAD}', '-e', 'setTimeout(() => {}, 60000)'], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      console.log(g.pid);
      setInterval(() => {}, 1000);`;
    const { parent, pids } = await startParent(grandchild, 2);
    const [, grandchildPid] = pids as [number, number];
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alive(grandchildPid)).toBe(true);
    parent.kill('SIGKILL');
    process.kill(grandchildPid, 'SIGKILL');
  });
});
