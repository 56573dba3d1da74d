/**
 * The account's actions carry their dialog's (or form's) Idempotency-Key: a second click after a
 * late answer sends the same key, so the API makes one key, one rotation, one endpoint, one test.
 * A key's repeat cannot show its secret: the action answers the key made, for the dialog to offer
 * its revoke. An add whose key's endpoint was removed since adds nothing: the action says so in
 * words, for the form to show, and to take a new key.
 */
import { VigilConflictError, VigilKeyNotShownError } from '@vigil/client';
import { describe, expect, it, vi } from 'vitest';

const calls: Array<{ call: string; idempotencyKey?: string }> = [];
const KEY = {
  id: 'key_01JDX0000000000000000000AA',
  name: 'deploy bot',
  prefix: 'vgl_abcdefgh',
  createdAt: '2026-12-07T10:00:00.000Z',
};
/** Whether keys.create answers as a repeat whose key was made already. */
let keyMadeAlready = false;
/** Whether notificationEndpoints.add answers as a repeat whose key's endpoint was removed since. */
let endpointRemovedSince = false;

vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/navigation', () => ({ unstable_rethrow: () => {} }));
vi.mock('./api', () => ({
  ApiProblem: class extends Error {},
  withVigil: async (use: (vigil: unknown) => Promise<unknown>) =>
    use({
      keys: {
        create: async (_: unknown, { idempotencyKey }: { idempotencyKey: string }) => {
          calls.push({ call: 'keys.create', idempotencyKey });
          if (keyMadeAlready) throw new VigilKeyNotShownError({ ...KEY, keyNotShown: 'revoke it' }, idempotencyKey);
          return { ...KEY, key: 'vgl_secret' };
        },
      },
      signingSecret: {
        rotate: async ({ idempotencyKey }: { idempotencyKey: string }) => {
          calls.push({ call: 'signingSecret.rotate', idempotencyKey });
          return { secret: 'whsec_x', previousValidUntil: '2026-12-08T10:00:00.000Z' };
        },
      },
      notificationEndpoints: {
        add: async (_: unknown, { idempotencyKey }: { idempotencyKey: string }) => {
          calls.push({ call: 'notificationEndpoints.add', idempotencyKey });
          if (endpointRemovedSince)
            throw new VigilConflictError({
              type: 'https://vigil.dev/problems/state-conflict',
              title: 'The request conflicts with the current state',
              status: 409,
              detail: `The request with Idempotency-Key "${idempotencyKey}" is done: the notification endpoint it answered with, nep_1, has been removed since, so nothing was made again. To make it anew, send the request with a new Idempotency-Key.`,
            });
          return { id: 'nep_1' };
        },
        test: async (_: string, { idempotencyKey }: { idempotencyKey: string }) => {
          calls.push({ call: 'notificationEndpoints.test', idempotencyKey });
          return { id: 'msg_1' };
        },
      },
    }),
}));

const { addNotificationEndpoint, createApiKey, rotateSigningSecret, testNotificationEndpoint } =
  await import('./actions');

describe("the account's keyed actions", () => {
  it("create a key with the dialog's key, the same key on a second click", async () => {
    calls.length = 0;
    keyMadeAlready = false;
    const first = await createApiKey('deploy bot', 'console-create-key-1');
    expect(first).toEqual({ ok: true, data: { created: { ...KEY, key: 'vgl_secret' } } });
    await createApiKey('deploy bot', 'console-create-key-1');
    expect(calls).toEqual([
      { call: 'keys.create', idempotencyKey: 'console-create-key-1' },
      { call: 'keys.create', idempotencyKey: 'console-create-key-1' },
    ]);
  });

  it('answer a repeat that finds the key made with that key, without a secret, for the dialog to offer its revoke', async () => {
    keyMadeAlready = true;
    const repeat = await createApiKey('deploy bot', 'console-create-key-1');
    expect(repeat).toEqual({ ok: true, data: { notShown: { ...KEY, keyNotShown: 'revoke it' } } });
  });

  it('rotate, add an endpoint and send its test with the key they are given', async () => {
    calls.length = 0;
    await rotateSigningSecret('console-rotate-secret-1');
    await addNotificationEndpoint('https://ops.example/hook', ['message.failed'], 'console-add-endpoint-1');
    await testNotificationEndpoint('nep_1', 'console-test-endpoint-1');
    expect(calls).toEqual([
      { call: 'signingSecret.rotate', idempotencyKey: 'console-rotate-secret-1' },
      { call: 'notificationEndpoints.add', idempotencyKey: 'console-add-endpoint-1' },
      { call: 'notificationEndpoints.test', idempotencyKey: 'console-test-endpoint-1' },
    ]);
  });

  it('add no endpoint again for a key whose endpoint was removed since, and say so in words, for the form to take a new key', async () => {
    endpointRemovedSince = true;
    const repeat = await addNotificationEndpoint(
      'https://ops.example/hook',
      ['message.failed'],
      'console-add-endpoint-1',
    );
    endpointRemovedSince = false;
    expect(repeat).toEqual({
      ok: true,
      data: {
        keySpent:
          'An earlier click added this endpoint, and it was removed since, so it was not added again. Click "Add endpoint" again to add it anew.',
      },
    });
    expect(
      await addNotificationEndpoint('https://ops.example/hook', ['message.failed'], 'console-add-endpoint-2'),
    ).toEqual({ ok: true, data: { added: { id: 'nep_1' } } });
  });
});
