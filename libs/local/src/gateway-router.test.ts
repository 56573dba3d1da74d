import { API_ROUTES } from '@vigil/functions/api/routes';
import { describe, expect, it } from 'vitest';
import { compileRoute, matchRoute } from './gateway-router';

const routes = API_ROUTES.map(compileRoute);

describe('the local gateway router', () => {
  it('matches a route with its decoded path parameters, with or without a trailing slash', () => {
    const match = matchRoute(routes, 'GET', '/v1/messages/msg%5F1/attempts/');
    expect(match).toMatchObject({
      kind: 'matched',
      compiled: { route: { method: 'GET', path: '/v1/messages/{messageId}/attempts' } },
      pathParameters: { messageId: 'msg_1' },
    });
  });

  it('tells a path no route has from a method the path does not take, naming the ones it does', () => {
    expect(matchRoute(routes, 'GET', '/v2/nothing')).toEqual({ kind: 'not-found' });
    const wrong = matchRoute(routes, 'PUT', '/v1/messages/msg_1');
    expect(wrong.kind).toBe('method-not-allowed');
    const allowed = wrong.kind === 'method-not-allowed' ? wrong.allow.split(', ').sort() : [];
    expect(allowed).toEqual(
      API_ROUTES.filter((r) => r.path === '/v1/messages/{messageId}')
        .map((r) => r.method)
        .sort(),
    );
  });

  it("takes a literal route's path as that route's, never as a {messageId}: another method there is a 405", () => {
    for (const path of ['/v1/messages/batch', '/v1/messages/cancel', '/v1/messages/redeliver']) {
      expect(matchRoute(routes, 'POST', path)).toMatchObject({ kind: 'matched', compiled: { route: { path } } });
      for (const method of ['GET', 'PATCH', 'DELETE', 'PUT'])
        expect(matchRoute(routes, method, path), `${method} ${path}`).toEqual({
          kind: 'method-not-allowed',
          allow: 'POST',
        });
    }
    // A message id is still a message's, whatever route could have had its name.
    expect(matchRoute(routes, 'GET', '/v1/messages/msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M')).toMatchObject({
      kind: 'matched',
      compiled: { route: { path: '/v1/messages/{messageId}' } },
    });
  });

  it('answers a path parameter that is not valid percent-encoding as malformed, not with a throw', () => {
    expect(matchRoute(routes, 'GET', '/v1/messages/%ff')).toEqual({ kind: 'malformed-path', segment: '%ff' });
  });
});
