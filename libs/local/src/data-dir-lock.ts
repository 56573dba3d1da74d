/**
 * One local stack per data dir. Two on one dir would both serve its store, its saved timers and its
 * journal; the store (dynalite's LevelDB) takes a lock of its own, but only after the emulators have
 * loaded the dir's state, and says no more than "Database is closed". So a stack takes the dir
 * first: `<dataDir>/vigil.pid`, made exclusively with its process id, before anything starts. A
 * file whose process is gone (a `kill -9`, a crash) is stale and taken over.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const DATA_DIR_LOCK_FILE = 'vigil.pid';

/** Another running process holds the data dir. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

export interface DataDirLock {
  /** Gives the dir up (removes the file while it is still this process's). */
  release(): Promise<void>;
}

/**
 * Whether a process with this id is running (one we may not signal is running too). A zombie (killed,
 * not yet reaped: its parent was killed with it, under an init that does not reap) is not.
 */
const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "<pid> (<name>) <state> ...", the name in parentheses may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): the signal's answer stands
  }
};

/** The process id a lock file's text names, if it names one. */
const pidIn = (text: string): number | undefined => {
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
};

const holderOf = async (path: string): Promise<number | undefined> =>
  pidIn(await readFile(path, 'utf8').catch(() => ''));

/**
 * Takes `dataDir` for this process, or throws DataDirInUseError naming the process that has it.
 * The same process may take a dir it holds again (tests start one stack after another's stop).
 */
export const lockDataDir = async (dataDir: string): Promise<DataDirLock> => {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  const lock = {
    async release() {
      if ((await holderOf(path)) === process.pid) await unlink(path).catch(() => {});
    },
  };
  // Two tries: a stale file is removed once; a start that makes the file again meanwhile holds the dir.
  for (let tries = 1; ; tries += 1) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(String(process.pid));
      await file.close();
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await holderOf(path);
    if (holder === process.pid) return lock;
    if ((holder !== undefined && running(holder)) || tries >= 2) {
      const who = holder === undefined ? 'another Vigil' : `another Vigil (process ${holder})`;
      throw new DataDirInUseError(
        `${who} is using the data dir ${dataDir}: stop it first, or start this one with another ` +
          `VIGIL_DATA_DIR (if no Vigil is running there, delete ${path})`,
      );
    }
    await unlink(path).catch(() => {});
  }
};

/**
 * Gives `dataDir` up at once, synchronously, if this process holds it: for a process about to exit
 * with its start cut short (a second Ctrl-C), which cannot wait for `release`.
 */
export const releaseDataDirLockNow = (dataDir: string): void => {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  try {
    if (pidIn(readFileSync(path, 'utf8')) === process.pid) unlinkSync(path);
  } catch {
    // No file, or not ours to remove.
  }
};
