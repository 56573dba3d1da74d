/** The emulators' state file: saved whole and in order, read back through its schema, never fatal. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { persistedState } from './persisted-state';

const schema = z.object({ version: z.literal(1), items: z.array(z.string()) });

describe('persisted emulator state', () => {
  let dir: string;
  const logs: Array<Record<string, unknown>> = [];
  const open = (path: string | undefined) =>
    persistedState({ path, schema, what: 'test state', log: (entry) => logs.push(entry) });

  afterEach(async () => {
    logs.length = 0;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves in the order asked, so the last save is what a restart reads, and leaves no temporary file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    const path = join(dir, 'nested', 'state.json');
    const state = open(path);
    void state.save({ version: 1, items: ['a'] });
    void state.save({ version: 1, items: ['a', 'b'] });
    await state.flushed();
    expect(await open(path).load()).toEqual({ version: 1, items: ['a', 'b'] });
    expect(await readdir(join(dir, 'nested'))).toEqual(['state.json']);
  });

  it('starts empty, and says why, from a missing file, a corrupt one or one of another shape', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    const path = join(dir, 'state.json');
    expect(await open(path).load()).toBeUndefined();
    await writeFile(path, '{"version": 1, "items": [');
    expect(await open(path).load()).toBeUndefined();
    await writeFile(path, JSON.stringify({ version: 2, items: [] }));
    expect(await open(path).load()).toBeUndefined();
    expect(logs.map((l) => l.msg)).toEqual([
      'no test state yet, starting empty',
      'test state is corrupt, starting empty',
      'test state is corrupt, starting empty',
    ]);
  });

  it("says a missing file is a first start, without an error: npm start's first lines showed ENOENT", async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    expect(await open(join(dir, 'state.json')).load()).toBeUndefined();
    expect(logs).toEqual([
      { level: 'debug', msg: 'no test state yet, starting empty', statePath: join(dir, 'state.json') },
    ]);
  });

  it('warns, with the error, about a file it cannot read, and starts empty', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    expect(await open(dir).load()).toBeUndefined(); // a directory: EISDIR
    expect(logs).toEqual([
      {
        level: 'warn',
        msg: 'test state cannot be read, starting empty',
        statePath: dir,
        error: expect.stringContaining('EISDIR'),
      },
    ]);
  });

  it('keeps nothing and reads nothing without a path', async () => {
    const state = open(undefined);
    await state.save({ version: 1, items: ['a'] });
    expect(await state.load()).toBeUndefined();
  });

  it('rejects a save that fails and logs it, and a later save still waits its turn', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    await writeFile(join(dir, 'file'), '');
    const state = open(join(dir, 'file', 'state.json')); // a directory that is a file: every write fails
    await expect(state.save({ version: 1, items: [] })).rejects.toThrow();
    await state.flushed();
    expect(logs.map((l) => l.msg)).toEqual(['test state not saved']);
    // The queue of writes goes on after a failure: the next save runs (and fails on its own).
    await expect(state.save({ version: 1, items: ['x'] })).rejects.toThrow();
    const good = open(join(dir, 'state.json'));
    await good.save({ version: 1, items: ['x'] });
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toEqual({ version: 1, items: ['x'] });
  });
});
