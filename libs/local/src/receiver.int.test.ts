/** `npm run receiver` on a port it cannot have, or with arguments it cannot use: one line, an exit code. */
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from './receiver';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const busy = createServer();
let port: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as AddressInfo).port;
});
afterAll(() => busy.close());

const receiverMain = (...args: string[]) => receiverMainWith({}, ...args);

const receiverMainWith = (env: Record<string, string>, ...args: string[]) =>
  spawnSync('node', ['--import', 'tsx', 'libs/local/src/receiver-main.ts', ...args], {
    cwd: root,
    env: { ...process.env, VIGIL_SIGNING_SECRET: undefined, ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });

describe('the receiver on a port in use', () => {
  it('rejects, rather than throwing an unhandled error event', async () => {
    await expect(startReceiver({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('says so in one line and exits 1, and names a bad port or secret with exit 2', () => {
    const inUse = receiverMain(String(port));
    expect(inUse.status).toBe(1);
    expect(inUse.stderr).toBe(`receiver: port ${port} is in use: name another, npm run receiver -- <port>\n`);
    const badPort = receiverMain('abc');
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toBe('receiver: the port must be a number from 0 to 65535, not "abc"\n');
    const badSecret = receiverMain('0', 'secret');
    expect(badSecret.status).toBe(2);
    expect(badSecret.stderr).toMatch(/^receiver: the secret must be the whsec_/);
  });

  it("says the step before got no secret, and what to check, when README's SECRET line got none", () => {
    // SECRET=$(curl ... | node -pe '...secret') is "undefined" when the API refused the key, "" when no API answered.
    for (const secret of ['undefined', '']) {
      const run = receiverMain('0', secret);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(
        `receiver: no signing secret came (${JSON.stringify(secret)}): the API did not give one to the command that read it. ` +
          'Check that npm start is running and that KEY is the API key it printed: ' +
          'curl -s localhost:4000/v1/signing-secret -H "Authorization: Bearer $KEY" shows what the API answers\n',
      );
    }
  });

  it('takes the secret from VIGIL_SIGNING_SECRET, off the command line npm echoes, the argument first', () => {
    const fromEnv = receiverMainWith({ VIGIL_SIGNING_SECRET: 'not-a-secret' }, '0');
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.stderr).toMatch(/^receiver: the secret must be the whsec_/);
    const noneCame = receiverMainWith({ VIGIL_SIGNING_SECRET: '' }, '0');
    expect(noneCame.status).toBe(2);
    expect(noneCame.stderr).toMatch(/^receiver: no signing secret came \(""\)/);
    const argumentFirst = receiverMainWith({ VIGIL_SIGNING_SECRET: 'whsec_QUFBQQ==' }, '0', 'not-a-secret');
    expect(argumentFirst.status).toBe(2);
    expect(argumentFirst.stderr).toMatch(/^receiver: the secret must be the whsec_/);
  });
});
