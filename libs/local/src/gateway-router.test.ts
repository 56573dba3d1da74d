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

  it('answers a path parameter that is not valid percent-encoding as malformed, not with a throw', () => {
    expect(matchRoute(routes, 'GET', '/v1/messages/%ff')).toEqual({ kind: 'malformed-path', segment: '%ff' });
  });
});
