/**
 * The local gateway's authorizer step: a refusal is a typed decision (not a text to match), only
 * an allowed answer is cached, and a revocation signalled through the keys-changed file drops it.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import { AuthorizerDenied } from '@vigil/functions/api/authorizer';
import { API_ROUTES } from '@vigil/functions/api/routes';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { Authorizer } from './gateway-auth';
import { AuthorizerCache } from './gateway-auth';

const route = API_ROUTES.find((r) => r.auth)!;
const eventWith = (authorization: string) =>
  ({
    path: route.path,
    headers: { authorization },
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    requestContext: {},
  }) as unknown as APIGatewayProxyEvent;

const policy = (effect: 'Allow' | 'Deny', tenantId = 'tnt_a'): APIGatewayAuthorizerResult => ({
  principalId: tenantId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: '*' }],
  },
  context: { tenantId, plan: 'free' },
});

const setup = (answer: (authorization: string) => Promise<APIGatewayAuthorizerResult>, keysChangedFile?: string) => {
  const calls: string[] = [];
  const errors: string[] = [];
  let clock = 1_000_000;
  const log: Logger = { info: () => {}, warn: () => {}, error: (message) => errors.push(message) };
  const authorizer: Authorizer = (event) => {
    const authorization = event.headers?.authorization ?? '';
    calls.push(authorization);
    return answer(authorization);
  };
  const cache = new AuthorizerCache({ authorizer, authCacheMs: 60_000, log, keysChangedFile, now: () => clock });
  return { cache, calls, errors, advance: (ms: number) => (clock += ms) };
};

describe('the local gateway authorizer step', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('allows with the identity the handlers see, and reuses the answer for the same header', async () => {
    const { cache, calls } = setup(async () => policy('Allow'));
    const first = await cache.decide(eventWith('Bearer vgl_a'), route);
    expect(first).toEqual({
      kind: 'allowed',
      identity: { principalId: 'tnt_a', context: { tenantId: 'tnt_a', plan: 'free' } },
    });
    expect(await cache.decide(eventWith('Bearer vgl_a'), route)).toEqual(first);
    expect(calls).toEqual(['Bearer vgl_a']);
  });

  it("takes the authorizer's refusal as denied, without logging it or caching it", async () => {
    const { cache, calls, errors } = setup(async (authorization) => {
      if (authorization === 'Bearer vgl_deny') return policy('Deny');
      throw new AuthorizerDenied();
    });
    expect(await cache.decide(eventWith('Bearer vgl_unknown'), route)).toEqual({ kind: 'denied' });
    expect(await cache.decide(eventWith('Bearer vgl_unknown'), route)).toEqual({ kind: 'denied' });
    expect(await cache.decide(eventWith('Bearer vgl_deny'), route)).toEqual({ kind: 'denied' });
    expect(calls).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('tells a failing authorizer from a refusal, even one whose message reads Unauthorized, and logs it', async () => {
    const { cache, errors } = setup(async () => {
      throw new Error('Unauthorized');
    });
    expect(await cache.decide(eventWith('Bearer vgl_a'), route)).toMatchObject({ kind: 'failed' });
    expect(errors).toEqual(['authorizer failed']);
  });

  it('asks again once the answer expires, or once another process signals a revoked key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-auth-'));
    const file = join(dir, 'keys-changed');
    await writeFile(file, '');
    const { cache, calls, advance } = setup(async () => policy('Allow'), file);
    await cache.decide(eventWith('Bearer vgl_a'), route);
    advance(60_001);
    await cache.decide(eventWith('Bearer vgl_a'), route);
    expect(calls).toHaveLength(2);
    await utimes(file, new Date(), new Date(Date.now() + 5_000));
    advance(1_000);
    await cache.decide(eventWith('Bearer vgl_a'), route);
    expect(calls).toHaveLength(3);
  });

  it('keeps a console session’s answer no longer than its session, however long the cache', async () => {
    const endsAt = 1_000_000 + 10_000;
    const { cache, calls, advance } = setup(async () => ({
      ...policy('Allow'),
      context: { tenantId: 'tnt_a', sessionId: 'ses_AAAAAAAAAAAAAAAAAAAAAA', sessionEndsAt: endsAt },
    }));
    await cache.decide(eventWith('Bearer session-token'), route);
    advance(9_999);
    await cache.decide(eventWith('Bearer session-token'), route);
    expect(calls).toHaveLength(1);
    advance(1);
    await cache.decide(eventWith('Bearer session-token'), route);
    expect(calls).toHaveLength(2);
  });

  it('does not cache an answer asked for before a revocation that came while it was asked', async () => {
    let answer!: (result: APIGatewayAuthorizerResult) => void;
    const { cache, calls } = setup(() => new Promise((resolve) => (answer = resolve)));
    const deciding = cache.decide(eventWith('Bearer vgl_a'), route);
    cache.clear(); // the key revokes itself while another request of it is being authorized
    answer(policy('Allow'));
    expect((await deciding).kind).toBe('allowed');
    const again = cache.decide(eventWith('Bearer vgl_a'), route);
    answer(policy('Deny'));
    expect((await again).kind).toBe('denied');
    expect(calls).toHaveLength(2);
  });

  it('keeps at most 10,000 answers: expired ones are swept out when it is full', async () => {
    const { cache, calls, advance } = setup(async () => policy('Allow'));
    for (let i = 0; i < 10_000; i += 1) await cache.decide(eventWith(`Bearer session-${i}`), route);
    advance(60_001);
    await cache.decide(eventWith('Bearer fresh'), route);
    await cache.decide(eventWith('Bearer fresh'), route);
    expect(calls).toHaveLength(10_001);
    expect(cache.size).toBe(1);
  });
});
