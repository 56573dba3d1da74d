/**
 * The message store alone, for the functions that only read messages (get, list, attempts):
 * DynamoDB only, no queue, scheduler or HTTP sender. `runtime()` uses the same store.
 */
import { DynamoMessageStore } from '../dynamo-message-store';
import { part } from './base';

export const messageStore = (): DynamoMessageStore =>
  part('message-store', (b) => new DynamoMessageStore(b.db, b.config.table, b.config.indexShards));
