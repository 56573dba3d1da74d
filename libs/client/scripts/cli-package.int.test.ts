/**
 * The `vigil` bin as an installed package has it: no TypeScript source beside it, only the bundle
 * `npm run client:build` writes (dist/cli.js, built here by the same esbuild command into a
 * temporary directory) and the package's dependencies. `npx vigil` finds it through
 * node_modules/.bin, as after `npm install @vigil/client`, and it talks to a real local stack.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../../../test-support/local-stack';
import { clientPackage, installClient } from './installed-client';

const run = promisify(execFile);

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('the vigil bin after install', () => {
  it('runs from the bundle with only the package beside it, found by npx through node_modules/.bin', async () => {
    const { consumer, remove } = await installClient();
    try {
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

      expect(version.stdout.trim()).toBe(clientPackage.version);
      expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'scheduled', url: 'http://127.0.0.1:9/x' });
    } finally {
      remove();
    }
  }, 120_000);
});
