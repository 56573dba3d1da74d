/**
 * Clients of local services send requests shaped as SigV4-signed but not signed (base.ts's
 * localSigner): the services check no signature, and signing cost the local stack's main thread
 * ~12 % of each call. A client of AWS itself (no endpoint configured) still signs.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingService } from '../../../../test-support/recording-service';
import { startRecordingService } from '../../../../test-support/recording-service';
import { receiverThread, stall } from '../../../../test-support/stall';
import { StallAwareRequestHandler } from '../stall-aware-request-handler';
import { base, configureWiring, resetWiring } from './base';

let service: RecordingService;
let endpoint: string;

beforeAll(async () => {
  service = await startRecordingService();
  endpoint = service.endpoint;
  configureWiring({
    VIGIL_DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'eu-west-1',
    VIGIL_TABLE: 'vigil-local',
    VIGIL_DELIVERY_QUEUE_URL: `${endpoint}/000000000000/vigil-delivery`,
    VIGIL_PROMOTE_ARN: 'arn:aws:lambda:eu-west-1:000000000000:function:promote',
    VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
  });
});
afterAll(async () => {
  resetWiring();
  configureWiring(undefined);
  await service.close();
});

describe("a local service's client", () => {
  it('stamps a date and an Authorization of SigV4 shape with its region, and no signature', async () => {
    service.seen.length = 0;
    const client = new DynamoDBClient(base().clientOptions(endpoint));
    await client.send(new GetItemCommand({ TableName: 'vigil-local', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    client.destroy();
    const [headers] = service.seen;
    expect(headers?.['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers?.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=local/${headers?.['x-amz-date']?.toString().slice(0, 8)}/eu-west-1/local/aws4_request, SignedHeaders=host;x-amz-date, Signature=local`,
    );
    expect(headers?.['x-amz-content-sha256']).toBeUndefined();
  });

  it('is the only kind that skips signing: a client of AWS itself keeps SigV4', () => {
    expect(base().clientOptions(endpoint)).toHaveProperty('signer');
    expect(base().clientOptions(undefined)).not.toHaveProperty('signer');
  });

  it('lets a call wait for one of its connections: 200 calls at once to a slow service all answered, none timed out waiting for a socket', async () => {
    // The SDK's 50 sockets make the 51st call wait for one, a wait that counted against a 2 s connectionTimeout.
    const slow = await startRecordingService({ answerAfterMs: 1_000 });
    const client = new DynamoDBClient({ ...base().clientOptions(slow.endpoint), maxAttempts: 1 });
    const get = new GetItemCommand({ TableName: 'vigil-local', Key: { pk: { S: 'a' }, sk: { S: 'b' } } });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => client.send(get)));
    client.destroy();
    await slow.close();
    expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
  });

  it('ends a call the service never answers after requestTimeout, with a TimeoutError: no call waits forever', async () => {
    const silent = await startRecordingService({ answerAfterMs: Number.POSITIVE_INFINITY });
    const options = base().clientOptions(silent.endpoint);
    expect(options.requestHandler.requestTimeoutMs).toBe(10_000);
    // The same handler with a shorter timeout, so the test waits half a second, not ten.
    const client = new DynamoDBClient({
      ...options,
      maxAttempts: 1,
      requestHandler: new StallAwareRequestHandler({ requestTimeout: 500, connectionTimeout: 0 }),
    });
    const started = Date.now();
    const error = await client
      .send(new GetItemCommand({ TableName: 'vigil-local', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
      .catch((e: unknown) => e);
    client.destroy();
    await silent.close();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  describe('after a stall of this process (stopped, or its event loop blocked)', () => {
    const getItem = new GetItemCommand({ TableName: 'vigil-local', Key: { pk: { S: 'a' }, sk: { S: 'b' } } });
    const dynamoAnswer = { body: '{}', headers: { 'content-type': 'application/x-amz-json-1.0' } };

    it('reads the answer that came during the stall instead of calling it a TimeoutError (which the SDK sends again)', async () => {
      const store = await receiverThread(50, dynamoAnswer);
      const client = new DynamoDBClient({
        ...base().clientOptions(store.url),
        maxAttempts: 1,
        requestHandler: new StallAwareRequestHandler({ requestTimeout: 1_000, connectionTimeout: 0 }),
      });
      try {
        const calling = client.send(getItem);
        await store.arrived();
        stall(2_500); // answered 50 ms in; the request timeout passes long before the answer is read

        await expect(calling).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
      } finally {
        client.destroy();
        await store.stop();
      }
    });

    it('still ends a call the service never answers: within its timeout twice, plus the stall', async () => {
      const store = await receiverThread(undefined);
      const client = new DynamoDBClient({
        ...base().clientOptions(store.url),
        maxAttempts: 1,
        requestHandler: new StallAwareRequestHandler({ requestTimeout: 400, connectionTimeout: 0 }),
      });
      try {
        const started = performance.now();
        const calling = client.send(getItem).catch((e: unknown) => e);
        await store.arrived();
        stall(1_500);

        const error = await calling;
        const elapsed = performance.now() - started;

        expect(error).toMatchObject({
          name: 'TimeoutError',
          message:
            'the request had no answer within its 400 ms requestTimeout (and 400 ms given back for a stall of this process)',
        });
        expect(elapsed).toBeGreaterThanOrEqual(1_500 + 400);
        expect(elapsed).toBeLessThan(1_500 + 2 * 400 + 150);
      } finally {
        client.destroy();
        await store.stop();
      }
    });
  });

  it("carries no SDK logger middleware: it copied each call's input and output for a log line nobody wrote", () => {
    for (const client of [base().db, base().meteringDb, base().tenancyDb]) {
      expect(client.middlewareStack.identify().some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
    }
  });
});
