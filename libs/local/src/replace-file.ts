/**
 * A data dir's small files (the development tenant's key, the emulators' state, endpoints.json)
 * replaced whole: written to a temporary file beside it and renamed over it, so a crash (a kill -9,
 * the disk filling up) in the middle of a write leaves the earlier file, never an empty or half one.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

export const replaceFile = async (path: string, text: string, options: { mode?: number } = {}): Promise<void> => {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, options);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true, recursive: true }).catch(() => {});
    throw error;
  }
};

/** replaceFile for callers that must not yield (the usage journal's folder between its reads). */
export const replaceFileSync = (path: string, text: string, options: { mode?: number } = {}): void => {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, options);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true, recursive: true });
    throw error;
  }
};
