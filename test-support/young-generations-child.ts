/**
 * A process started with the local stack's Node flags, for dynalite-thread.int.test.ts: starts the
 * store's worker thread in a fresh data dir and prints, as JSON, the new space (MB) of its own main
 * thread and of the store's thread, then stops.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeapSpaceInfo } from 'node:v8';
import { getHeapSpaceStatistics } from 'node:v8';
import { startDynaliteThread } from '@vigil/local/dynalite-thread';

const newSpaceMb = (spaces: HeapSpaceInfo[]) =>
  spaces.find((space) => space.space_name === 'new_space')!.space_size / 2 ** 20;

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-young-'));
  const store = await startDynaliteThread(join(dir, 'dynamo'));
  try {
    const { spaces } = await store.memory();
    process.stdout.write(JSON.stringify({ main: newSpaceMb(getHeapSpaceStatistics()), store: newSpaceMb(spaces) }));
  } finally {
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  }
};

void main();
