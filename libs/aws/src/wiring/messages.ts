/**
 * The message store alone, for the functions that only read messages (get, list, attempts):
 * DynamoDB only, no queue, scheduler or HTTP sender. `runtime()` uses the same store.
 */
import type { IdempotencyDeps, NotificationEndpointDeps, TargetPolicy } from '@vigil/core';
import { DynamoMessageStore } from '../dynamo-message-store';
import { hostAddresses } from '../http-sender';
import { DynamoNotificationEndpoints } from '../dynamo-notification-endpoints';
import { systemClock } from '../system-clock';
import { part } from './base';

export const messageStore = (): DynamoMessageStore =>
  part('message-store', (b) => new DynamoMessageStore(b.db, b.config.table, b.config));

/** The tenants' notification endpoints (same table): for their routes, the worker and the key routes. */
export const notificationEndpoints = (): DynamoNotificationEndpoints =>
  part('notification-endpoints', (b) => new DynamoNotificationEndpoints(b.db, b.config.table, () => systemClock.now()));

/** Where webhooks may go: one policy for a URL as written (create, PATCH, endpoints) and for every address it resolves to (send). */
export const targetPolicy = (): TargetPolicy =>
  part('target-policy', ({ config }) => ({
    allowPrivateTargets: config.allowPrivateTargets,
    reservedEndpoints: config.reservedEndpoints,
    localAddresses: config.reservedEndpoints.length > 0 ? hostAddresses() : [],
  }));

/**
 * What the notification endpoint routes take (all but the test send, an event delivery: runtime()'s
 * scheduling): DynamoDB and the target policy, no queue or scheduler client.
 */
export const notificationEndpointWiring = (): NotificationEndpointDeps =>
  part('notification-endpoint-routes', () => ({
    endpoints: notificationEndpoints(),
    store: messageStore(),
    clock: systemClock,
    targets: targetPolicy(),
  }));

/**
 * What honouring an Idempotency-Key takes (the keys' claims are items of the message store's table)
 * where a route has no message engine: the signing secret's rotation, an endpoint's add.
 */
export const idempotencyWiring = (): IdempotencyDeps =>
  part('idempotency', (b) => ({ store: messageStore(), clock: systemClock, log: b.log }));
