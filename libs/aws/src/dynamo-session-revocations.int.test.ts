/**
 * Console sign-outs on DynamoDB (DynamoTenantStore as SessionRevocations), on dynalite and DynamoDB
 * Local: a revoked session is found at once (a consistent read), kept with a TTL no later than the
 * session's own end, and the store tells its listeners (the local gateway drops its auth cache).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends } from '../../../test-support/dynamo-backends';
import { DynamoTenantStore } from './dynamo-tenant-store';
import { TTL_ATTRIBUTE } from './table-definition';

const T0 = Date.parse('2026-12-02T09:00:00.000Z');
const ENDS_AT = T0 + 12 * 3_600_000;

const backends = dynamoBackends();

describe.each(backends)('session revocations on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let store: DynamoTenantStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoTenantStore(services.db, services.table, () => T0);
  }, 60_000);
  afterAll(() => services?.stop());

  it.runIf(available)('finds a signed-out session at once, and only that one', async () => {
    let notified = 0;
    store.onRevocation(() => {
      notified += 1;
    });
    expect(await store.isSessionRevoked('ses_signedOutAAAAAAAAAAAAA')).toBe(false);

    await store.revokeSession('ses_signedOutAAAAAAAAAAAAA', ENDS_AT, T0);

    expect(await store.isSessionRevoked('ses_signedOutAAAAAAAAAAAAA')).toBe(true);
    expect(await store.isSessionRevoked('ses_stillInBBBBBBBBBBBBBBB')).toBe(false);
    expect(notified).toBe(1);
  });

  it.runIf(available)('keeps the record only until the session would have ended (TTL and exact expiry)', async () => {
    await store.revokeSession('ses_ttlCCCCCCCCCCCCCCCCCCC', ENDS_AT, T0);
    const { Item } = await services.db.send(
      new GetCommand({ TableName: services.table, Key: { pk: 'S#ses_ttlCCCCCCCCCCCCCCCCCCC', sk: 'REVOKED' } }),
    );
    expect(Item).toEqual({
      pk: 'S#ses_ttlCCCCCCCCCCCCCCCCCCC',
      sk: 'REVOKED',
      revokedAt: T0,
      [TTL_ATTRIBUTE]: ENDS_AT / 1000,
      expiresAtMs: ENDS_AT,
    });
  });
});
