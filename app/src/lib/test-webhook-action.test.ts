/** A test webhook is a create: it carries the form's Idempotency-Key, so a second "Send now" after a late answer makes no second message. */
import { describe, expect, it, vi } from 'vitest';

const created: Array<Record<string, unknown>> = [];

vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/navigation', () => ({ unstable_rethrow: () => {} }));
vi.mock('./api', () => ({
  ApiProblem: class extends Error {},
  withVigil: async (use: (vigil: unknown) => Promise<unknown>) =>
    use({
      messages: {
        create: async (message: Record<string, unknown>) => {
          created.push(message);
          return { id: 'msg_01JDX00000000000000000000' };
        },
      },
    }),
}));

const { sendTestWebhook } = await import('./actions');

describe('sending a test webhook', () => {
  it("sends the form's Idempotency-Key with the message, the same key on a second try", async () => {
    created.length = 0;
    const key = 'console-test-webhook-6f1c0d0e-4b1a-4c55-9a57-0b3e2f1d9c11';
    await sendTestWebhook('https://example.com/hook', '{"hello":"world"}', key);
    await sendTestWebhook('https://example.com/hook', '{"hello":"world"}', key);
    expect(created.map((m) => m.idempotencyKey)).toEqual([key, key]);
    expect(created[0]).toMatchObject({ url: 'https://example.com/hook', in: 0, body: { hello: 'world' } });
  });
});
