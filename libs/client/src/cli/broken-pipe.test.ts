import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handleOutputErrors } from './broken-pipe';

const BIN = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));

const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('an output stream that goes away', () => {
  it('ends `vigil --help | head -0` quietly with exit 0, not with an unhandled EPIPE', async () => {
    // Prepare: the reading end is closed before the CLI (started through tsx) writes its help.
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    // Act
    const code = await new Promise<number | null>((done) => child.once('close', done));

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);

  it('exits 0 on EPIPE, and 1 on any other write error', () => {
    const stdout = new EventEmitter();
    const exits: number[] = [];
    handleOutputErrors([stdout], { keepRunning: false, exit: (code) => exits.push(code) });

    stdout.emit('error', epipe());
    stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));

    expect(exits).toEqual([0, 1]);
  });

  it('keeps `vigil run` going when its output is gone: the command runs on and its alerts still go', () => {
    const stdout = new EventEmitter();
    const exits: number[] = [];
    handleOutputErrors([stdout], { keepRunning: true, exit: (code) => exits.push(code) });

    stdout.emit('error', epipe());

    expect(exits).toEqual([]);
  });
});
