/**
 * The data dir's lock: a running holder refuses a start, a dead one (reaped or a zombie) does not,
 * and a release gives up only this process's hold.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_DIR_LOCK_FILE, DataDirInUseError, lockDataDir, releaseDataDirLockNow } from './data-dir-lock';

const kills: Array<() => void> = [];
afterEach(() => {
  for (const kill of kills.splice(0)) kill();
});

/** Waits (up to a second) until process `pid` is in `state` (/proc/<pid>/stat's third field). */
const untilState = async (pid: number, state: 'T' | 'Z', what: string): Promise<void> => {
  for (let tries = 0; !(await readFile(`/proc/${pid}/stat`, 'utf8')).includes(`) ${state} `); tries += 1) {
    if (tries > 100) throw new Error(`process ${pid} did not become ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/**
 * A process id that is a zombie: killed, its parent (a stopped shell) never reaping it. Killed only
 * once the shell has stopped: killed before, the shell (still running to its `kill -STOP`) could
 * reap it, and there was no process left to read (ESRCH, CI run 99 on a loaded machine).
 */
const zombiePid = async (): Promise<number> => {
  const shell = spawn('sh', ['-c', 'sleep 100 & echo $!; kill -STOP $$'], { stdio: ['ignore', 'pipe', 'ignore'] });
  kills.push(() => shell.kill('SIGKILL'));
  const [chunk] = (await once(shell.stdout, 'data')) as [Buffer];
  const pid = Number(String(chunk).trim());
  await untilState(shell.pid!, 'T', 'stopped');
  process.kill(pid, 'SIGKILL');
  await untilState(pid, 'Z', 'a zombie');
  return pid;
};

describe('lockDataDir', () => {
  it('refuses a dir a running process holds, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-lock-'));
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    kills.push(() => holder.kill('SIGKILL'));
    await writeFile(join(dir, DATA_DIR_LOCK_FILE), String(holder.pid));
    const refused = await lockDataDir(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toContain(`another Vigil (process ${holder.pid}) is using the data dir ${dir}`);
  });

  it.runIf(process.platform === 'linux')(
    'takes over a dir whose holder is a zombie (killed, never reaped)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vigil-lock-'));
      await writeFile(join(dir, DATA_DIR_LOCK_FILE), String(await zombiePid()));
      const lock = await lockDataDir(dir);
      expect(await readFile(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(String(process.pid));
      await lock.release();
    },
  );

  it('gives up only its own hold when released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-lock-'));
    const lock = await lockDataDir(dir);
    await writeFile(join(dir, DATA_DIR_LOCK_FILE), '1'); // taken over meanwhile (by pid 1: alive)
    await lock.release();
    expect(await readFile(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe('1');
  });

  it('gives up its own hold at once when the process is about to exit (a second Ctrl-C), and only its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-lock-'));
    await lockDataDir(dir);
    releaseDataDirLockNow(dir);
    expect(existsSync(join(dir, DATA_DIR_LOCK_FILE))).toBe(false);
    await writeFile(join(dir, DATA_DIR_LOCK_FILE), '1\n'); // another's (pid 1), as written by hand
    releaseDataDirLockNow(dir);
    expect(await readFile(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe('1\n');
    releaseDataDirLockNow(join(dir, 'none')); // no file: nothing to give up, nothing thrown
  });
});
