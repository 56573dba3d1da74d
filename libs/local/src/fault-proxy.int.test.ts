/**
 * The fault layer in front of the real local services: the SDK clients the handlers use see each
 * injected fault as the AWS service's own error (and retry it), and a fault after the request
 * reached the service leaves the service changed while the client sees a failure.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynaliteThread } from './dynalite-thread';
import { startDynaliteThread } from './dynalite-thread';
import type { FaultProxy, FaultRates } from './fault-proxy';
import { seededRandom, startFaultProxy } from './fault-proxy';
import { createActiveTable } from '../../../test-support/dynamo-backends';
import type { SchedulerEmulator } from './scheduler-emulator';
import { startSchedulerEmulator } from './scheduler-emulator';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';
const none: FaultRates = { throttle: 0, error5xx: 0, timeout: 0, reset: 0 };

let dynamo: DynaliteThread;
let sqsServer: { port: number; stop(): Promise<void> };
let scheduler: SchedulerEmulator;
const proxies: FaultProxy[] = [];

const proxy = async (service: FaultProxy['service'], target: string, rates: Partial<FaultRates>, holdMs = 200) => {
  const started = await startFaultProxy({
    service,
    target,
    rates: { ...none, ...rates },
    holdMs,
    random: seededRandom(1),
  });
  proxies.push(started);
  return started;
};
const dynamoVia = (endpoint: string, maxAttempts = 1) =>
  new DynamoDBClient({ region, endpoint, credentials, maxAttempts });

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-faults-'));
  dynamo = await startDynaliteThread(join(dir, 'db'));
  const { startFauxqs } = await import('fauxqs');
  sqsServer = await startFauxqs({ port: 0, logger: false });
  scheduler = await startSchedulerEmulator({ statePath: join(dir, 'schedules.json'), invoke: async () => {} });
  await createActiveTable(dynamoVia(dynamo.endpoint), {
    TableName: 'chaos',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await scheduler?.stop();
  await sqsServer?.stop();
  await dynamo?.stop();
});

describe('the fault proxy in front of the local services', () => {
  it('passes requests through untouched when no fault is drawn', async () => {
    const passing = await proxy('dynamodb', dynamo.endpoint, {});
    const client = dynamoVia(passing.endpoint);
    await client.send(new PutItemCommand({ TableName: 'chaos', Item: { pk: { S: 'pass' } } }));
    const { Item } = await client.send(new GetItemCommand({ TableName: 'chaos', Key: { pk: { S: 'pass' } } }));
    expect(Item?.pk?.S).toBe('pass');
    expect(passing.counts).toMatchObject({ passed: 2, throttle: 0 });
  });

  it("throttles DynamoDB calls with DynamoDB's own exception, which the SDK retries", async () => {
    const throttling = await proxy('dynamodb', dynamo.endpoint, { throttle: 1 });
    const client = dynamoVia(throttling.endpoint, 2);
    await expect(
      client.send(new PutItemCommand({ TableName: 'chaos', Item: { pk: { S: 'never' } } })),
    ).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(throttling.counts.throttle).toBe(2);
  });

  it('strikes before or after the service saw the request: some failed writes are in the table', async () => {
    const failing = await proxy('dynamodb', dynamo.endpoint, { error5xx: 1 });
    const client = dynamoVia(failing.endpoint);
    const keys = Array.from({ length: 20 }, (_, i) => `lost-${i}`);
    for (const key of keys) {
      await expect(client.send(new PutItemCommand({ TableName: 'chaos', Item: { pk: { S: key } } }))).rejects.toThrow();
    }
    const direct = dynamoVia(dynamo.endpoint);
    const applied = await Promise.all(
      keys.map(
        async (key) => (await direct.send(new GetItemCommand({ TableName: 'chaos', Key: { pk: { S: key } } }))).Item,
      ),
    );
    const written = applied.filter((item) => item !== undefined).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(keys.length);
  });

  it('resets the connection, or holds the request and then drops it', async () => {
    const resetting = await proxy('dynamodb', dynamo.endpoint, { reset: 1 });
    await expect(
      dynamoVia(resetting.endpoint).send(new GetItemCommand({ TableName: 'chaos', Key: { pk: { S: 'x' } } })),
    ).rejects.toThrow();
    const holding = await proxy('dynamodb', dynamo.endpoint, { timeout: 1 }, 300);
    const startedAt = Date.now();
    await expect(
      dynamoVia(holding.endpoint).send(new GetItemCommand({ TableName: 'chaos', Key: { pk: { S: 'x' } } })),
    ).rejects.toThrow();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('throttles SQS and the scheduler with their own error types', async () => {
    const sqs = await proxy('sqs', `http://127.0.0.1:${sqsServer.port}`, { throttle: 1 });
    await expect(
      new SQSClient({ region, endpoint: sqs.endpoint, credentials, maxAttempts: 1 }).send(
        new CreateQueueCommand({ QueueName: 'q' }),
      ),
    ).rejects.toMatchObject({ name: 'RequestThrottled' });
    const timer = await proxy('scheduler', scheduler.endpoint, { throttle: 1 });
    await expect(
      new SchedulerClient({ region, endpoint: timer.endpoint, credentials, maxAttempts: 1 }).send(
        new GetScheduleCommand({ Name: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
  });
});
