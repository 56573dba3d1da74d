/** Rotating the signing secret without dropping a webhook: both secrets verify during the overlap. */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const deliverOne = async (path: string) => {
  const { json } = await api.post('/v1/messages', { url: `${receiver.url}${path}`, delay: 0, body: { path } });
  const [arrival] = (await receiver.waitFor((all) => all.some((r) => r.path === path), 10_000)).filter(
    (r) => r.path === path,
  );
  expect(arrival?.headers['webhook-id']).toBe(json.id);
  return arrival!;
};

describe('signing secret rotation', () => {
  it('signs with the new and the old secret during the overlap, so a stock verifier with either accepts', async () => {
    const before = (await api.get('/v1/signing-secret')).json.secret as string;
    const first = await deliverOne('/before');
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(1);

    const rotated = await api.post('/v1/signing-secret/rotate');
    expect(rotated.status).toBe(200);
    assertMatchesSchema('SigningSecretRotated', rotated.json);
    const after = rotated.json.secret as string;
    expect(after).not.toBe(before);
    expect(Date.parse(rotated.json.previousValidUntil) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect((await api.get('/v1/signing-secret')).json.secret).toBe(after);

    const second = await deliverOne('/after');
    const headers = second.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(before).verify(second.body, headers)).not.toThrow();
    expect(() => new Webhook(after).verify(second.body, headers)).not.toThrow();
    // A secret that was never the tenant's does not verify.
    expect(() => new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(second.body, headers)).toThrow();

    // Rotated again within the day: the first secret keeps its 24 hours beside the two since.
    const again = await api.post('/v1/signing-secret/rotate');
    expect(again.status).toBe(200);
    const third = await deliverOne('/again');
    const thirdHeaders = third.headers as Record<string, string>;
    expect(thirdHeaders['webhook-signature']?.split(' ')).toHaveLength(3);
    for (const secret of [before, after, again.json.secret as string]) {
      expect(() => new Webhook(secret).verify(third.body, thirdHeaders)).not.toThrow();
    }
    // A third rotation within the day would end the first secret's overlap early: refused, saying until when.
    const refused = await api.post('/v1/signing-secret/rotate');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ type: expect.stringMatching(/rotation-limit$/), status: 409 });
    expect(refused.json.detail).toMatch(/Rotate again after \d{4}-\d\d-\d\dT/);
    expect((await api.get('/v1/signing-secret')).json.secret).toBe(again.json.secret);
  });
});
