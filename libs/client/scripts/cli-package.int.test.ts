/**
 * The `vigil` bin as an installed package has it: no TypeScript source beside it, only the bundle
 * `npm run client:build` writes (dist/cli.js, built here by the same esbuild command into a
 * temporary directory) and the package's dependencies. `npx vigil` finds it through
 * node_modules/.bin, as after `npm install @vigil/client`, and it talks to a real local stack.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../../../test-support/local-stack';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLIENT = join(ROOT, 'libs', 'client');
const pkg = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('the vigil bin after install', () => {
  it('runs from the bundle with only the package beside it, found by npx through node_modules/.bin', async () => {
    const consumer = mkdtempSync(join(tmpdir(), 'vigil-cli-consumer-'));
    const installed = join(consumer, 'node_modules', '@vigil', 'client');
    mkdirSync(installed, { recursive: true });
    cpSync(join(CLIENT, 'package.json'), join(installed, 'package.json'));
    cpSync(join(CLIENT, 'bin'), join(installed, 'bin'), { recursive: true });
    // The package's build:cli script, run with the outfile in the installed copy.
    const esbuildArgs = pkg.scripts['build:cli']!.replace(/^esbuild /, '').split(' ');
    await run(
      join(ROOT, 'node_modules', '.bin', 'esbuild'),
      [
        ...esbuildArgs.map((arg) =>
          arg.startsWith('--outfile=') ? `--outfile=${join(installed, 'dist', 'cli.js')}` : arg,
        ),
      ],
      { cwd: CLIENT },
    );
    for (const dependency of [
      'commander',
      'picocolors',
      'openapi-fetch',
      'openapi-typescript-helpers',
      'standardwebhooks',
    ]) {
      symlinkSync(join(ROOT, 'node_modules', dependency), join(consumer, 'node_modules', dependency), 'dir');
    }
    mkdirSync(join(consumer, 'node_modules', '.bin'));
    symlinkSync(join('..', '@vigil', 'client', pkg.bin.vigil!), join(consumer, 'node_modules', '.bin', 'vigil'));
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: consumer,
      VIGIL_API_KEY: stack.apiKey,
      VIGIL_API_URL: stack.url,
      npm_config_update_notifier: 'false',
    } as unknown as NodeJS.ProcessEnv;

    const version = await run('npx', ['--no-install', 'vigil', '--version'], { cwd: consumer, env });
    const sent = await run('npx', ['--no-install', 'vigil', 'send', 'http://127.0.0.1:9/x', '--in', '1h', '--json'], {
      cwd: consumer,
      env,
    });

    expect(version.stdout.trim()).toBe(pkg.version);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'scheduled', url: 'http://127.0.0.1:9/x' });
  }, 120_000);
});
