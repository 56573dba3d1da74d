/**
 * NotificationEndpointStore on DynamoDB (the same table; every key starts with the tenant):
 *   endpoint   pk T#<tenant>  sk NEP#<endpointId>              { id, tenantId, url, events, description?, createdAt }
 *   delivery   pk T#<tenant>  sk NED#<endpointId>#<messageId>  { messageId, expiresAt (TTL), expiresAtMs }
 * A delivery record only points at the event delivery (a message, with its own attempts); message
 * ids sort by time, so the latest deliveries are one descending query. The records expire (TTL on
 * AWS, the local stack's reaper) and are read only while `expiresAtMs` is ahead.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationEndpoint, NotificationEndpointStore } from '@vigil/core';
import { MAX_NOTIFICATION_ENDPOINTS } from '@vigil/core';
import { expiryAttributes } from './dynamo-message-store';
import { ITEM_ON_CONDITION_FAILURE, itemAfterRefusal } from './own-write';

const ENDPOINT_PREFIX = 'NEP#';
const DELIVERY_PREFIX = 'NED#';

export class DynamoNotificationEndpoints implements NotificationEndpointStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async listEndpoints(tenantId: string): Promise<NotificationEndpoint[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':prefix': ENDPOINT_PREFIX },
        ConsistentRead: true,
        // A tenant has at most this many; the bound keeps the read one page whatever is stored.
        Limit: MAX_NOTIFICATION_ENDPOINTS * 2,
      }),
    );
    return Items.map((item) => ({
      id: String(item.id),
      tenantId: String(item.tenantId),
      url: String(item.url),
      events: item.events as NotificationEndpoint['events'],
      ...(typeof item.description === 'string' && { description: item.description }),
      createdAt: Number(item.createdAt),
    })).sort((a, b) => a.createdAt - b.createdAt);
  }

  async addEndpoint(endpoint: NotificationEndpoint): Promise<void> {
    const key = { pk: `T#${endpoint.tenantId}`, sk: `${ENDPOINT_PREFIX}${endpoint.id}` };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, ...endpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      );
    } catch (error) {
      // The id is new to this add, so an item already at its key is this put: applied, its answer
      // lost, and the SDK's retry refused by the condition the first send made false.
      const current = await itemAfterRefusal(this.db, this.table, key, error);
      if (current?.url !== endpoint.url || current?.createdAt !== endpoint.createdAt) throw error;
    }
  }

  async removeEndpoint(tenantId: string, endpointId: string): Promise<boolean> {
    const key = { pk: `T#${tenantId}`, sk: `${ENDPOINT_PREFIX}${endpointId}` };
    const read = () => this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    // Read first (a remove is rare; one read more): a delete alone cannot tell an endpoint that never
    // existed from one its own first send removed, its answer lost, when the SDK's resend or a read
    // after its error finds nothing. A read that fails answers nothing: the remove fails (503).
    if ((await read()).Item === undefined) return false;
    // There: gone after this, by its own send (applied, its answer lost) or another remove meanwhile,
    // as asked. One that threw is read again (on that path only): still there, it failed.
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
    } catch (error) {
      const { Item } = await read().catch(() => {
        throw error;
      });
      if (Item) throw error;
    }
    return true;
  }

  async recordDelivery(tenantId: string, endpointId: string, messageId: string, keepUntil: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `T#${tenantId}`,
          sk: `${DELIVERY_PREFIX}${endpointId}#${messageId}`,
          messageId,
          ...expiryAttributes(keepUntil),
        },
      }),
    );
  }

  async recentDeliveries(tenantId: string, endpointId: string, limit: number): Promise<string[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'expiresAtMs > :now',
        ExpressionAttributeValues: {
          ':pk': `T#${tenantId}`,
          ':prefix': `${DELIVERY_PREFIX}${endpointId}#`,
          ':now': this.now(),
        },
        ProjectionExpression: 'messageId',
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => String(item.messageId));
  }
}
