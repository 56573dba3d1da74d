import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commandText, completionAlert } from './run';
import { OUTPUT_TAIL_BYTES, OutputTail, runProcess } from './run-process';

const sink = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
};

describe('the output tail of vigil run', () => {
  it('keeps the last 4 KB of everything written', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 100; i++) tail.push(Buffer.from(`line ${String(i).padStart(3, '0')} ${'x'.repeat(90)}\n`));

    const text = tail.text();
    expect(Buffer.byteLength(text)).toBe(OUTPUT_TAIL_BYTES);
    expect(text.endsWith(`line 099 ${'x'.repeat(90)}\n`)).toBe(true);
  });

  it('never starts in the middle of a character', () => {
    const tail = new OutputTail(4);
    tail.push(Buffer.from('aé€'));

    // 'aé€' is 1 + 2 + 3 bytes: the last 4 bytes start inside 'é', so the tail starts at '€'.
    expect(tail.text()).toBe('€');
  });
});

describe('running the command', () => {
  it('streams its output through and reports its exit code', async () => {
    const [out, err] = [sink(), sink()];

    const outcome = await runProcess(['sh', '-c', 'echo out; echo err >&2; exit 3'], {
      stdout: out.stream,
      stderr: err.stream,
      interactive: false,
    });

    expect(outcome).toMatchObject({ exitCode: 3, signal: null, code: 3 });
    expect(out.text()).toBe('out\n');
    expect(err.text()).toBe('err\n');
    expect(outcome.outputTail).toMatch(/^(out\nerr\n|err\nout\n)$/);
  });

  it('exits 128 + the signal number when a signal ends the command', async () => {
    const outcome = await runProcess(['sh', '-c', 'kill -TERM $$'], {
      stdout: sink().stream,
      stderr: sink().stream,
      interactive: false,
    });

    expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGTERM', code: 143 });
  });

  it('exits 127 for a command that does not exist, as a shell does', async () => {
    const outcome = await runProcess(['no-such-command-for-vigil'], {
      stdout: sink().stream,
      stderr: sink().stream,
      interactive: false,
    });

    expect(outcome).toMatchObject({ code: 127, spawnError: 'command not found: no-such-command-for-vigil' });
    expect(completionAlert('x', 'no-such-command-for-vigil', outcome, 'h')).toMatchObject({
      exitCode: 127,
      outputTail: 'vigil: command not found: no-such-command-for-vigil',
    });
  });

  it('quotes arguments in the command line it reports', () => {
    expect(commandText(['make', 'build'])).toBe('make build');
    expect(commandText(['sh', '-c', "echo 'hi'; exit 3"])).toBe(`sh -c 'echo '\\''hi'\\''; exit 3'`);
  });
});
