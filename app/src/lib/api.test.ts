/**
 * The app calls the API through `@vigil/client`, whose types are generated from openapi.yaml: these
 * checks run where the app is type-checked (`next build`, `tsc -p app`), so an answer read as
 * another shape, or an input the contract does not have, fails the build.
 */
import type { Vigil } from '@vigil/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ApiKey, ApiKeyCreated, AttemptList, Message, MessagePage, Usage } from './types';

type AnswerOf<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

describe('the app’s API calls, typed by openapi.yaml through @vigil/client', () => {
  it('answer each call with the shape the contract documents for its success', () => {
    expectTypeOf<AnswerOf<Vigil['keys']['list']>>().toEqualTypeOf<ApiKey[]>();
    expectTypeOf<AnswerOf<Vigil['keys']['create']>>().toEqualTypeOf<ApiKeyCreated>();
    expectTypeOf<AnswerOf<Vigil['messages']['listPage']>>().toEqualTypeOf<MessagePage>();
    expectTypeOf<AnswerOf<Vigil['messages']['get']>>().toEqualTypeOf<Message>();
    expectTypeOf<AnswerOf<Vigil['messages']['attempts']>>().toEqualTypeOf<AttemptList>();
    expectTypeOf<AnswerOf<Vigil['usage']>>().toEqualTypeOf<Usage>();
    expectTypeOf<AnswerOf<Vigil['keys']['revoke']>>().toEqualTypeOf<void>();
  });

  it('refuse an input the contract does not have', () => {
    const neverCalled = (vigil: Vigil) => {
      // @ts-expect-error not a status the contract knows
      void vigil.messages.listPage({ status: 'lost' });
      // @ts-expect-error a key is created with a name
      void vigil.keys.create({});
      // @ts-expect-error a message has no such field
      void vigil.messages.update('msg_1', { colour: 'red' });
      // @ts-expect-error the method is one of POST, PUT, PATCH
      void vigil.messages.create({ url: 'https://example.com', in: '1m', method: 'GET' });
      // A redeliver takes the console's Idempotency-Key, so a repeat of one click starts one round.
      void vigil.messages.redeliver('msg_1', { idempotencyKey: 'console-redeliver-1' });
      // So does a retry now: a repeat of one click makes one attempt.
      void vigil.messages.retry('msg_1', { idempotencyKey: 'console-retry-now-1' });
      // So do the account's actions: one key, one rotation, one endpoint, one test per click.
      void vigil.keys.create({ name: 'ci' }, { idempotencyKey: 'console-create-key-1' });
      void vigil.signingSecret.rotate({ idempotencyKey: 'console-rotate-secret-1' });
      void vigil.notificationEndpoints.add(
        { url: 'https://example.com' },
        { idempotencyKey: 'console-add-endpoint-1' },
      );
      void vigil.notificationEndpoints.test('nep_1', { idempotencyKey: 'console-test-endpoint-1' });
    };
    expect(neverCalled).toBeTypeOf('function');
  });
});
