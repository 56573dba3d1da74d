/**
 * A test webhook is a create, made through @vigil/client as the console makes it: it carries the
 * form's Idempotency-Key, so a second "Send now" after a late answer makes no second message, and
 * the payload goes to the API as typed.
 */
import { describe, expect, it, vi } from 'vitest';
import { messageOut } from '../../../test-support/api-answers';

/** What the API was sent: each request's Idempotency-Key and body text. */
const requests: Array<{ key: string | null; body: string }> = [];

vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/navigation', () => ({ unstable_rethrow: () => {} }));
vi.mock('./api', async () => {
  const { Vigil } = await import('@vigil/client');
  const { messageOut } = await import('../../../test-support/api-answers');
  const vigil = new Vigil({
    baseUrl: 'http://api.test',
    retries: 0,
    fetch: async (request) => {
      requests.push({ key: request.headers.get('idempotency-key'), body: await request.text() });
      return Response.json(messageOut({ id: 'msg_01JDX00000000000000000000' }), { status: 202 });
    },
  });
  return {
    ApiProblem: class extends Error {},
    withVigil: async (use: (client: unknown) => Promise<unknown>) => use(vigil),
  };
});

const { sendTestWebhook } = await import('./actions');

describe('sending a test webhook', () => {
  it("sends the form's Idempotency-Key with the message, the same key on a second try", async () => {
    requests.length = 0;
    const key = 'console-test-webhook-6f1c0d0e-4b1a-4c55-9a57-0b3e2f1d9c11';
    await sendTestWebhook('https://example.com/hook', '{"hello":"world"}', key);
    await sendTestWebhook('https://example.com/hook', '{"hello":"world"}', key);
    expect(requests.map((request) => request.key)).toEqual([key, key]);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({
      url: 'https://example.com/hook',
      delay: 0,
      body: { hello: 'world' },
    });
  });

  it('sends the payload as typed: "b" before "1", the escape and the 20-digit id as written', async () => {
    requests.length = 0;
    const typed = '{\n  "b": 1,\n  "1": 2,\n  "name": "caf\\u00e9",\n  "id": 12345678901234567890\n}';

    const result = await sendTestWebhook('https://example.com/hook', typed, 'console-test-webhook-typed');

    expect(result).toEqual({ ok: true, data: messageOut({ id: 'msg_01JDX00000000000000000000' }) });
    expect(requests.map((request) => request.body)).toEqual([
      `{"url":"https://example.com/hook","body":${typed},"metadata":{"source":"web-app-test"},"delay":0}`,
    ]);
  });

  it('sends nothing for a payload that is not JSON, and says why', async () => {
    requests.length = 0;

    const result = await sendTestWebhook('https://example.com/hook', '{"b":1', 'console-test-webhook-broken');

    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^The payload is not valid JSON: .+\.$/) });
    expect(requests).toEqual([]);
  });
});
