/**
 * The console's body route, which the message page in the browser reads a body from once per
 * change of it: the body exactly as the API answered it, named by the digest the page names it by;
 * the API's problem as problem+json; nothing asked of the API for what is no message id.
 */
import { describe, expect, it, vi } from 'vitest';
import { BODY_DIGEST_HEADER } from '@/lib/message-body';
import { bodyDigest } from '@/lib/message-parts';
import type { Problem } from '@/lib/types';

/** The API as the test sets it: the body it answers, or the problem it answers with. */
const api = { body: undefined as string | undefined, problem: undefined as Problem | undefined, calls: 0 };
vi.mock('@/lib/api', () => ({
  loadPage: async (load: (v: unknown) => Promise<unknown>) => {
    if (api.problem) return { problem: api.problem };
    return {
      data: await load({
        messages: {
          body: async () => {
            api.calls += 1;
            return api.body;
          },
        },
      }),
    };
  },
}));

const { GET } = await import('./route');

const ID = 'msg_01JF0000000000000000000RB1';
const get = (id: string) => GET(new Request(`http://console/messages/${id}/body`), { params: Promise.resolve({ id }) });

describe("the message page's body route", () => {
  it('answers the body exactly as sent, with the digest the page names it by, kept by no cache', async () => {
    api.problem = undefined;
    api.body = '{"b":1,"1":2,"n":12345678901234567890,"note":"caf\\u00e9 ☕"}';
    const response = await get(ID);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get(BODY_DIGEST_HEADER)).toBe(bodyDigest(api.body));
    expect(await response.text()).toBe(api.body);
  });

  it('answers 204 for a message without a body', async () => {
    api.problem = undefined;
    api.body = undefined;
    const response = await get(ID);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it("answers the API's problem as problem+json with its status", async () => {
    api.problem = {
      type: 'https://vigil.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No such message.',
    };
    const response = await get(ID);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual(api.problem);
  });

  it('answers 404 in words for what is no message id, without asking the API', async () => {
    api.problem = undefined;
    api.calls = 0;
    const response = await get('msg_nope%2F..');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'https://vigil.dev/problems/not-found', status: 404 });
    expect((await get('%ff')).status).toBe(404);
    expect(api.calls).toBe(0);
  });
});
