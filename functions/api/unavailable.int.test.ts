/**
 * The HTTP edge's answer when a service the handlers depend on stays unavailable past the AWS
 * SDK's own retries: 503 `unavailable` with Retry-After, never a 500 "internal error" that reads
 * as a bug of Vigil's; a refusal of the request itself (a table that does not exist) stays a 500.
 * The errors are the SDK's own, from real exchanges: DynamoDB throttled on every call by a fault
 * proxy in front of the stack's dynalite, a port nothing listens on, dynalite refusing.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { localServiceClientOptions } from '@vigil/aws';
import type { FaultProxy } from '@vigil/local/fault-proxy';
import { seededRandom, startFaultProxy } from '@vigil/local/fault-proxy';
import type { LocalStack } from '@vigil/local/stack';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/free-port';
import { startTestStack } from '../../test-support/local-stack';
import { assertResponseMatchesContract } from '../../test-support/openapi';
import { httpRoute } from './http';

let stack: LocalStack;
let throttling: FaultProxy;

beforeAll(async () => {
  // The stack configures the handlers' process (their logger, settings) as on a deployed function.
  stack = await startTestStack();
  throttling = await startFaultProxy({
    service: 'dynamodb',
    target: stack.dynamoEndpoint,
    rates: { throttle: 1, error5xx: 0, timeout: 0, reset: 0 },
    holdMs: 0,
    random: seededRandom(1),
  });
});
afterAll(async () => {
  await throttling?.stop();
  await stack?.stop();
});

/** A GET route whose one store read goes to `endpoint`, as a handler's would (three tries). */
const routeReadingFrom = (endpoint: string, table = 'vigil-local') =>
  httpRoute({}, async () => {
    const db = new DynamoDBClient({ ...localServiceClientOptions('us-east-1', endpoint), maxAttempts: 3 });
    try {
      await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'M#x' }, sk: { S: 'M#x' } } }));
      return { status: 200, body: {} };
    } finally {
      db.destroy();
    }
  });

const call = async (route: ReturnType<typeof routeReadingFrom>) => {
  const event = {
    httpMethod: 'GET',
    resource: '/v1/messages/{id}',
    path: '/v1/messages/msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
    pathParameters: { id: 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M' },
    headers: {},
    queryStringParameters: null,
    body: null,
    requestContext: { requestId: 'req-1', authorizer: { tenantId: stack.tenantId, plan: 'pro', keyId: 'key_1' } },
  } as unknown as APIGatewayProxyEvent;
  const answer = (await route(event, {} as Context)) as APIGatewayProxyResult;
  assertResponseMatchesContract({
    method: 'GET',
    path: event.path,
    status: answer.statusCode,
    headers: new Headers(answer.headers as Record<string, string>),
    text: answer.body,
  });
  return { status: answer.statusCode, headers: answer.headers ?? {}, problem: JSON.parse(answer.body) };
};

describe('a service that stays unavailable', () => {
  it('is a 503 unavailable with Retry-After when DynamoDB throttles every try', async () => {
    const { status, headers, problem } = await call(routeReadingFrom(throttling.endpoint));
    expect(throttling.counts.throttle).toBe(3);
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('1');
    expect(problem).toMatchObject({
      type: 'https://vigil.dev/problems/unavailable',
      status: 503,
      detail: expect.stringContaining('try again'),
      requestId: 'req-1',
    });
  });

  it('is a 503 when nothing answers at the endpoint', async () => {
    const { status, problem } = await call(routeReadingFrom(`http://127.0.0.1:${await freePort()}`));
    expect(status).toBe(503);
    expect(problem.type).toBe('https://vigil.dev/problems/unavailable');
  });

  it('stays a 500 internal for a refusal of the request itself (no such table)', async () => {
    const { status, headers, problem } = await call(routeReadingFrom(stack.dynamoEndpoint, 'no-such-table'));
    expect(status).toBe(500);
    expect(headers['retry-after']).toBeUndefined();
    expect(problem.type).toBe('https://vigil.dev/problems/internal');
  });
});
