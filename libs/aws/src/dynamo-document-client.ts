/**
 * The document client every part of Vigil opens its table with. Messages carry objects whose names
 * the tenant chooses (headers, metadata), and the SDK's marshaller tells a plain object from a class
 * instance by its `constructor` property: a header named `constructor` (or metadata tag `toString`)
 * would make it refuse the item, a 500 for a valid request. `convertClassInstanceToMap` stores any
 * such object as the map it is; `removeUndefinedValues` leaves optional fields out.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const STORE_MARSHALLING = { removeUndefinedValues: true, convertClassInstanceToMap: true } as const;

export const documentClient = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: STORE_MARSHALLING });
