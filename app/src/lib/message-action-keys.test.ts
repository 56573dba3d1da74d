/**
 * Retry now and Redeliver carry their dialog's Idempotency-Key: a second confirmation after a late
 * answer sends the same key, so the API makes one attempt (one round), not two.
 */
import { describe, expect, it, vi } from 'vitest';

const calls: Array<{ command: string; id: string; idempotencyKey?: string }> = [];

vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/navigation', () => ({ unstable_rethrow: () => {} }));
vi.mock('./api', () => ({
  ApiProblem: class extends Error {},
  withVigil: async (use: (vigil: unknown) => Promise<unknown>) =>
    use({
      messages: Object.fromEntries(
        ['retry', 'redeliver'].map((command) => [
          command,
          async (id: string, options: { idempotencyKey?: string } = {}) => {
            calls.push({ command, id, ...options });
            return { id, status: 'retrying' };
          },
        ]),
      ),
    }),
}));

const { redeliverMessage, retryMessage } = await import('./actions');
const { newIdempotencyKey } = await import('./idempotency-keys');

describe("a message's keyed actions", () => {
  it("send Retry now with the dialog's key, the same key on a second confirmation", async () => {
    calls.length = 0;
    const id = 'msg_01JDX00000000000000000000';
    const key = newIdempotencyKey('retry-now');
    expect(await retryMessage(id, key)).toMatchObject({ ok: true, data: { id } });
    await retryMessage(id, key);
    expect(calls).toEqual([
      { command: 'retry', id, idempotencyKey: key },
      { command: 'retry', id, idempotencyKey: key },
    ]);
    expect(key).toMatch(/^console-retry-now-[0-9a-f-]{36}$/);
  });

  it("send Redeliver with the dialog's key", async () => {
    calls.length = 0;
    const id = 'msg_01JDX00000000000000000000';
    await redeliverMessage(id, 'console-redeliver-1');
    expect(calls).toEqual([{ command: 'redeliver', id, idempotencyKey: 'console-redeliver-1' }]);
  });
});
