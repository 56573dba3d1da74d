/**
 * The app's API calls are typed by the contract (types generated from openapi.yaml): these checks
 * run where the app is type-checked (`next build`, `tsc -p app`), so a route, parameter or body
 * the contract does not have, or an answer read as another shape, fails the build.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { api } from './api';
import type { ApiKey, Attempt, Message, MessagePage, Usage } from './types';

type AnswerOf<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

describe('api, typed by openapi.yaml', () => {
  it('answers each route with the shape the contract documents for its success', () => {
    expectTypeOf<AnswerOf<typeof api.get<'/v1/keys'>>>().toEqualTypeOf<{ items: ApiKey[] }>();
    expectTypeOf<AnswerOf<typeof api.get<'/v1/messages'>>>().toEqualTypeOf<MessagePage>();
    expectTypeOf<AnswerOf<typeof api.get<'/v1/messages/{messageId}'>>>().toEqualTypeOf<Message>();
    expectTypeOf<AnswerOf<typeof api.get<'/v1/messages/{messageId}/attempts'>>>()
      .toHaveProperty('items')
      .toEqualTypeOf<Attempt[]>();
    expectTypeOf<AnswerOf<typeof api.get<'/v1/usage'>>>().toEqualTypeOf<Usage>();
    expectTypeOf<AnswerOf<typeof api.delete<'/v1/keys/{keyId}'>>>().toEqualTypeOf<undefined>();
  });

  it('refuses a route, a parameter or a body the contract does not have', () => {
    const neverCalled = (client: typeof api) => {
      // @ts-expect-error no such route
      void client.get('/v1/nothing');
      // @ts-expect-error the route needs its message id
      void client.get('/v1/messages/{messageId}');
      // @ts-expect-error not a status the contract knows
      void client.get('/v1/messages', { query: { status: 'lost' } });
      // @ts-expect-error a key is created with a name
      void client.post('/v1/keys', { body: {} });
      // @ts-expect-error keys are not changed with PATCH
      void client.patch('/v1/keys/{keyId}', { path: { keyId: 'k' }, body: {} });
    };
    expect(neverCalled).toBeTypeOf('function');
  });
});
