/** Logs are structured and safe: API keys, signing secrets, target credentials and bodies never appear. */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';

let stack: LocalStack;
let receiver: Receiver;
const logged: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  receiver = await startReceiver({ respond: ({ count }) => (count === 0 ? 500 : 200) });
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (originalWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  stack = await startTestStack({ env: { VIGIL_LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  process.stdout.write = originalWrite;
  await stack?.stop();
  await receiver?.stop();
});

describe('logs', () => {
  it('never contain API keys, signing secrets, target credentials or payloads', async () => {
    const api = apiClient(stack.url, stack.apiKey);
    const created = await api.post('/v1/keys', { name: 'logged?' });
    const secret = (await api.get('/v1/signing-secret')).json.secret as string;
    await apiClient(stack.url, created.json.key).get('/v1/messages?limit=1');
    await apiClient(stack.url, `vgl_${'W'.repeat(43)}`).get('/v1/messages');
    const message = await api.post('/v1/messages', {
      url: `${receiver.url}/hook`,
      delay: 0,
      headers: { authorization: 'Bearer target-credential-xyz' },
      body: { card: 'payload-content-4111' },
    });
    await receiver.waitFor((all) => all.length >= 2, 15_000);
    await new Promise((r) => setTimeout(r, 300));

    const output = logged.join('');
    // The deliveries were logged (so the check below looked at real log lines).
    expect(output).toContain(message.json.id);
    expect(output).toContain('"msg":"attempt failed; will retry"');
    for (const forbidden of [
      stack.apiKey,
      created.json.key,
      `vgl_${'W'.repeat(43)}`,
      secret,
      'target-credential-xyz',
      'payload-content-4111',
    ]) {
      expect(output).not.toContain(forbidden);
    }
  });
});
