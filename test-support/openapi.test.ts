/**
 * The contract check every integration test's API client runs on each response: it must refuse
 * what openapi.yaml does not document, or a drift between the code and the contract would pass.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedResponse } from './openapi';
import { assertResponseMatchesContract, openapiDocument } from './openapi';

const message = openapiDocument.components.examples.ScheduledMessage.value as Record<string, unknown>;
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const PROBLEM_TYPE = { 'content-type': 'application/problem+json' };
const problem = { type: 'unauthorized', title: 'Missing or invalid API key', status: 401, detail: 'Send a key.' };

const check = (response: Omit<ReceivedResponse, 'headers'> & { headers?: Record<string, string> }) => () =>
  assertResponseMatchesContract({ ...response, headers: new Headers(response.headers ?? {}) });

describe('assertResponseMatchesContract', () => {
  it('accepts a response the contract documents for its route, method and status', () => {
    const text = JSON.stringify(message);
    expect(
      check({ method: 'GET', path: `/v1/messages/${message.id}`, status: 200, headers: JSON_TYPE, text }),
    ).not.toThrow();
    expect(
      check({
        method: 'GET',
        path: '/v1/messages?limit=1',
        status: 200,
        headers: JSON_TYPE,
        text: JSON.stringify({ items: [], nextCursor: null, previousCursor: null }),
      }),
    ).not.toThrow();
    expect(check({ method: 'DELETE', path: '/v1/keys/key_1', status: 204, text: '' })).not.toThrow();
  });

  it('refuses a body its schema refuses, naming the route and the field', () => {
    const { status: _, ...withoutStatus } = message;
    expect(
      check({
        method: 'GET',
        path: `/v1/messages/${message.id}`,
        status: 200,
        headers: JSON_TYPE,
        text: JSON.stringify(withoutStatus),
      }),
    ).toThrow(/GET \/v1\/messages\/msg_\w+ answered 200.*must have required property 'status'/s);
  });

  it('matches a literal route before a parameter (a batch is not a message id)', () => {
    const text = JSON.stringify(message);
    expect(check({ method: 'POST', path: '/v1/messages/batch', status: 201, headers: JSON_TYPE, text })).toThrow(
      /must have required property 'items'/,
    );
    expect(
      check({
        method: 'POST',
        path: '/v1/messages/batch',
        status: 201,
        headers: JSON_TYPE,
        text: JSON.stringify({ items: [message] }),
      }),
    ).not.toThrow();
  });

  it('refuses a status the route does not document', () => {
    expect(
      check({ method: 'GET', path: '/health', status: 418, headers: PROBLEM_TYPE, text: JSON.stringify(problem) }),
    ).toThrow(/GET \/health answered 418.*it documents 200/s);
  });

  it('refuses another content type than the documented one', () => {
    expect(
      check({ method: 'GET', path: '/v1/keys', status: 401, headers: JSON_TYPE, text: JSON.stringify(problem) }),
    ).toThrow(/content type "application\/json"; it documents application\/problem\+json/);
  });

  it('refuses a documented header with a value its schema refuses', () => {
    const limited = { ...problem, type: 'rate-limited', status: 429 };
    const headers = { ...PROBLEM_TYPE, 'retry-after': '1', 'ratelimit-limit': 'many' };
    expect(check({ method: 'GET', path: '/v1/keys', status: 429, headers, text: JSON.stringify(limited) })).toThrow(
      /header RateLimit-Limit: many/,
    );
  });

  it('refuses a body where the contract documents none', () => {
    expect(check({ method: 'DELETE', path: '/v1/keys/key_1', status: 204, text: '{}' })).toThrow(/documents no body/);
  });

  it('wants a problem document for a route or method the contract does not have', () => {
    const notFound = { ...problem, type: 'not-found', status: 404 };
    expect(
      check({ method: 'GET', path: '/v2/nothing', status: 404, headers: PROBLEM_TYPE, text: JSON.stringify(notFound) }),
    ).not.toThrow();
    expect(
      check({ method: 'PUT', path: '/v1/keys', status: 405, headers: { 'content-type': 'text/plain' }, text: 'no' }),
    ).toThrow(/expected a problem document/);
  });
});
