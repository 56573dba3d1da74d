/**
 * DynamoNotificationEndpoints' add on both engines when DynamoDB applied the put and its answer was
 * lost: the SDK sends it again, the repeat fails the condition the first send made false, and the
 * add is still done, once (found by the chaos suite: the endpoint create answered 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DynamoNotificationEndpoints } from './dynamo-notification-endpoints';

const endpoint = {
  id: 'nep_01JTEST0000000000000000001',
  tenantId: 'tnt_endpoints',
  url: 'https://example.com/events',
  events: ['message.failed' as const],
  createdAt: Date.parse('2026-12-06T11:00:00.000Z'),
};

describe.each(dynamoBackends())('DynamoNotificationEndpoints on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let store: DynamoNotificationEndpoints;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoNotificationEndpoints(services.db, services.table);
  }, 60_000);
  afterAll(() => services?.stop());

  it.runIf(available)('counts an add whose answer was lost as done, once', async () => {
    const lost = await withLostAnswer(services.db, 'PutItemCommand', () => store.addEndpoint(endpoint));
    expect(lost.sends).toBe(2);
    expect(await store.listEndpoints(endpoint.tenantId)).toEqual([endpoint]);
  });

  it.runIf(available)('still refuses an add whose id another endpoint has', async () => {
    await expect(store.addEndpoint({ ...endpoint, url: 'https://example.com/other' })).rejects.toThrow(
      /conditional request failed/i,
    );
    expect((await store.listEndpoints(endpoint.tenantId)).map((e) => e.url)).toEqual([endpoint.url]);
  });
});
