/**
 * The JSON file an emulator keeps its state in, shared by the emulators: written whole to a
 * temporary file and renamed (a crash mid-write leaves the previous state), writes one after the
 * other in the order they were asked for, and read back through a schema at start (a missing
 * file starts empty, said at info without an error; one that cannot be read or is corrupt is
 * warned about and starts empty too).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { replaceFile } from './replace-file';

export interface PersistedStateOptions<S extends z.ZodType> {
  /** The JSON file; absent: nothing is written or read. */
  path: string | undefined;
  schema: S;
  /** In log lines: "scheduler state", ... */
  what: string;
  log: (entry: Record<string, unknown>) => void;
}

export interface PersistedState<T> {
  /** The saved state, or undefined when there is none (no file, or a corrupt one: logged). */
  load(): Promise<T | undefined>;
  /** Saves `state` after every earlier save; rejects if this one fails (also logged). */
  save(state: T): Promise<void>;
  /** Resolves once every save asked for so far has finished. */
  flushed(): Promise<void>;
}

export const persistedState = <S extends z.ZodType>(options: PersistedStateOptions<S>): PersistedState<z.output<S>> => {
  const { path, schema, what, log } = options;
  let writes: Promise<void> = Promise.resolve();
  return {
    async load() {
      if (!path) return undefined;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        // No file is a first start, not an error: said without one (a new user's first lines).
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          log({ level: 'debug', msg: `no ${what} yet, starting empty`, statePath: path });
        } else {
          log({ level: 'warn', msg: `${what} cannot be read, starting empty`, statePath: path, error: String(error) });
        }
        return undefined;
      }
      let parsed: z.ZodSafeParseResult<z.output<S>> | undefined;
      try {
        parsed = schema.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        log({ level: 'warn', msg: `${what} is corrupt, starting empty`, statePath: path });
        return undefined;
      }
      return parsed.data;
    },
    save(state) {
      if (!path) return Promise.resolve();
      const snapshot = JSON.stringify(state);
      const write = writes.then(async () => {
        await mkdir(dirname(path), { recursive: true });
        await replaceFile(path, snapshot);
      });
      writes = write.catch((error: unknown) => log({ level: 'error', msg: `${what} not saved`, error: String(error) }));
      return write;
    },
    flushed: () => writes,
  };
};
