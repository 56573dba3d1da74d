/**
 * Counts what AWS would bill for the calls the code really makes, by a middleware on every AWS SDK
 * client the handlers and pollers use (the wiring's ClientInstrument) and a wrapper around every
 * handler call (the local stack's observer). Nothing here is estimated from reading the code.
 *
 * - DynamoDB: each call's request units (dynamo-request-units.ts) from the item before and after
 *   it. The middleware asks DynamoDB for those images itself (`ReturnValues` ALL_OLD on puts and
 *   deletes, ALL_NEW on updates) and hides them again from the caller when the caller had not
 *   asked; the item before an update, a batch write or a failed condition comes from a mirror of
 *   the table, seeded with a scan when metering starts and kept by every write after.
 * - SQS: requests, each 64 KB of payload one more; a batch of ten is one request. Receives that
 *   found nothing are counted apart (a poller's fixed cost, not a message's).
 * - EventBridge Scheduler: API calls (not billed) and invocations (each promote invocation).
 * - Lambda: invocations and their wall time per function (billed GB-seconds follow from the
 *   deployed memory: cost-report.ts).
 * - API Gateway: one request per API route invocation.
 * - Where the load lands, for the capacity model (bench/capacity/): DynamoDB units per function,
 *   table or index and partition key class (`partitionCounter`), and SQS requests (and messages
 *   sent) per function, queue and operation (`queueCounter`). A call belongs to the function whose
 *   invocation it runs in (an AsyncLocalStorage); calls outside any (the pollers' receives and
 *   deletes) are `poller`'s.
 *
 * The counters only grow: a scenario's usage is the difference of two snapshots.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { InstrumentableClient } from '@vigil/aws';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';
import type { Item } from './dynamo-request-units';
import { failedWriteUnits, indexEntryOf, partitionWrites, readUnits } from './dynamo-request-units';
import { itemKindOf, partitionKeyClass } from './partition-key-class';

/** A snapshot of the counters, by name (`dynamodb.wru.table`, `lambda.deliver.ms`, ...). */
export type Usage = Record<string, number>;

/** What a partition counter counts: write or read request units. */
export type UnitKind = 'wru' | 'rru';

/** One partition counter's parts (see `partitionCounter`). */
export interface PartitionLoad {
  units: UnitKind;
  /** The function whose invocation made the call (`poller` outside any). */
  functionName: string;
  /** `table`, or the index's name. */
  index: string;
  /** The partition key's class (partition-key-class.ts): `T#<tenant>#queued`, `P#<shard>`, ... */
  keyClass: string;
  /** In the table, the kind of item (`M#`, `I#`, `UL#`, ...); empty in an index. */
  itemKind: string;
}

const PARTITION_PREFIX = 'dynamodb.partition|';
const QUEUE_PREFIX = 'sqs.queue|';

/** The counter of request units by function, table or index, key class and item kind. */
export const partitionCounter = (load: PartitionLoad): string =>
  `${PARTITION_PREFIX}${[load.units, load.functionName, load.index, load.keyClass, load.itemKind].join('|')}`;

/** A partition counter's parts, or undefined for any other counter. */
export const parsePartitionCounter = (name: string): PartitionLoad | undefined => {
  if (!name.startsWith(PARTITION_PREFIX)) return undefined;
  const [units, functionName = '', index = '', keyClass = '', itemKind = ''] = name
    .slice(PARTITION_PREFIX.length)
    .split('|');
  return { units: units as UnitKind, functionName, index, keyClass, itemKind };
};

/** The counter of SQS requests by function, queue name and operation (or of messages sent: MESSAGES_SENT). */
export const queueCounter = (functionName: string, queue: string, operation: string): string =>
  `${QUEUE_PREFIX}${functionName}|${queue}|${operation}`;

/** A queue counter's parts, or undefined for any other counter. */
export const parseQueueCounter = (
  name: string,
): { functionName: string; queue: string; operation: string } | undefined => {
  if (!name.startsWith(QUEUE_PREFIX)) return undefined;
  const [functionName = '', queue = '', operation = ''] = name.slice(QUEUE_PREFIX.length).split('|');
  return { functionName, queue, operation };
};

/**
 * One kind of AWS call a function made, as IAM authorises it: the action (`dynamodb:UpdateItem`,
 * `sqs:SendMessage` for a batch too, each part of a transaction as its own item action), what it
 * acts on (`table` or an index's name for DynamoDB, the queue's name for SQS, `*` otherwise) and,
 * for DynamoDB, the partition key value it touches in that table or index (`dynamodb:LeadingKeys`:
 * an item's `pk`, a Query's key condition's value; a batch or transaction is one call per item; a
 * Scan has none). The grants test (grants-cover-calls.int.test.ts) checks each against the
 * function's role.
 */
export interface AwsCall {
  functionName: string;
  action: string;
  resource: string;
  partitionKey?: string;
}

const CALL_PREFIX = 'call|';

/** The counter of calls by function, IAM action, resource and partition key. */
export const callCounter = (call: AwsCall): string =>
  `${CALL_PREFIX}${call.functionName}|${call.action}|${call.resource}|${call.partitionKey ?? ''}`;

/** A call counter's parts, or undefined for any other counter. */
export const parseCallCounter = (name: string): AwsCall | undefined => {
  if (!name.startsWith(CALL_PREFIX)) return undefined;
  const [functionName = '', action = '', resource = '', ...key] = name.slice(CALL_PREFIX.length).split('|');
  const partitionKey = key.join('|');
  return { functionName, action, resource, ...(partitionKey !== '' && { partitionKey }) };
};

/** A Query's partition key value that names no key it could read (IAM would see none of the ones allowed). */
export const UNKNOWN_PARTITION_KEY = '<no partition key in the key condition>';

/** The partition key attribute of the table or of one of its indexes. */
const hashKeyOf = (index: string | undefined): string => {
  const schema = index
    ? TABLE_DEFINITION.GlobalSecondaryIndexes.find((i) => i.IndexName === index)?.KeySchema
    : TABLE_DEFINITION.KeySchema;
  return schema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? HASH_KEY;
};

/** A wire-format item's or key's partition key value. */
const partitionKeyOf = (item: RawItem | undefined): string | undefined => {
  const value = item?.[HASH_KEY];
  return value?.S ?? value?.N;
};

/** A Query's partition key value: its key condition's equality on the table's or index's partition key. */
const queriedPartitionKey = (input: Record<string, any>): string => {
  const hashKey = hashKeyOf(input.IndexName);
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  for (const [, name = '', placeholder = ''] of String(input.KeyConditionExpression ?? '').matchAll(
    /(#?\w+)\s*=\s*(:\w+)/g,
  )) {
    if ((names[name] ?? name) !== hashKey) continue;
    const value = input.ExpressionAttributeValues?.[placeholder] as AttributeValue | undefined;
    return value?.S ?? value?.N ?? UNKNOWN_PARTITION_KEY;
  }
  return UNKNOWN_PARTITION_KEY;
};

/**
 * The items one DynamoDB request touches, each as the request names it (its key, or the whole item
 * it puts), with a transaction part's kind (`Put`, `Update`, ...): a transaction's or a batch's each,
 * else the request's own `Key` or `Item` (none for a Query or a Scan).
 */
export const requestItems = (
  operation: string,
  input: Record<string, any>,
): Array<{ item: RawItem | undefined; part?: string }> => {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return (input.TransactItems ?? []).map((entry: Record<string, { Key?: RawItem; Item?: RawItem }>) => {
      const [part = '', request] = Object.entries(entry)[0] ?? [];
      return { item: request?.Key ?? request?.Item, part };
    });
  }
  if (operation === 'BatchGetItem') {
    return Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: RawItem[] }>)
      .flatMap((t) => t.Keys ?? [])
      .map((item) => ({ item }));
  }
  if (operation === 'BatchWriteItem') {
    return Object.values((input.RequestItems ?? {}) as Record<string, any[]>)
      .flat()
      .map((request) => ({ item: request.PutRequest?.Item ?? request.DeleteRequest?.Key }));
  }
  return [{ item: input.Key ?? input.Item }];
};

/** One call as IAM authorises it, with the partition key of the item it touches, if it names one. */
const callOn = (action: string, resource: string, item: RawItem | undefined): Omit<AwsCall, 'functionName'> => {
  const partitionKey = partitionKeyOf(item);
  return { action, resource, ...(partitionKey !== undefined && { partitionKey }) };
};

/** The items a DynamoDB request touches, each as IAM authorises it, with its partition key. */
const dynamoCallsOf = (operation: string, input: Record<string, any>): Array<Omit<AwsCall, 'functionName'>> => {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return requestItems(operation, input).map(({ item, part }) =>
      callOn(`dynamodb:${TRANSACT_ACTION[part ?? ''] ?? 'unknown'}`, 'table', item),
    );
  }
  const action = `dynamodb:${operation}`;
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const items = requestItems(operation, input);
    if (items.length > 0) return items.map(({ item }) => callOn(action, 'table', item));
  }
  const resource = String(input.IndexName ?? 'table');
  if (operation === 'Query') return [{ action, resource, partitionKey: queriedPartitionKey(input) }];
  return [callOn(action, resource, input.Key ?? input.Item)];
};

/** SQS's batch operations are authorised as their single forms. */
const SQS_ACTION: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};
/** A transaction's parts are authorised as these item actions. */
const TRANSACT_ACTION: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};
/** API Gateway's management API is authorised by HTTP method. */
const API_GATEWAY_METHOD: Array<[RegExp, string]> = [
  [/^Get/, 'GET'],
  [/^Create/, 'POST'],
  [/^Delete/, 'DELETE'],
  [/^Update/, 'PATCH'],
];

/** What IAM must allow for one request (action, resource), from its target header or client and command. */
export const iamCallsOf = (
  target: string,
  context: { commandName?: string; clientName?: string },
  input: Record<string, any>,
): Array<Omit<AwsCall, 'functionName'>> => {
  if (target.startsWith('DynamoDB_')) return dynamoCallsOf(target.split('.')[1] ?? '', input);
  if (target.startsWith('AmazonSQS.')) {
    const operation = target.split('.')[1] ?? '';
    const queue =
      String(input.QueueUrl ?? '*')
        .split('/')
        .pop() ?? '*';
    return [{ action: `sqs:${SQS_ACTION[operation] ?? operation}`, resource: queue }];
  }
  const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
  const service = (context.clientName ?? 'unknown').replace(/Client$/, '').toLowerCase();
  if (service === 'apigateway') {
    const method = API_GATEWAY_METHOD.find(([pattern]) => pattern.test(command))?.[1] ?? command;
    return [{ action: `apigateway:${method}`, resource: '*' }];
  }
  return [{ action: `${service}:${command}`, resource: '*' }];
};

/** The pseudo-operation of a queue counter that counts the messages sent (not requests). */
export const MESSAGES_SENT = 'messagesSent';

/** The function name of calls made outside any handler invocation (the queue pollers'). */
export const OUTSIDE_INVOCATIONS = 'poller';

/** The mirror never grows past this many items (a bench runs far fewer). */
const MIRROR_LIMIT = 200_000;
/** SQS bills each 64 KB chunk of a request's payload as one request. */
const SQS_CHUNK_BYTES = 64 * 1024;

type RawItem = Record<string, AttributeValue>;
interface HttpRequestLike {
  headers: Record<string, string>;
  body?: unknown;
}
type Next = (args: { request: HttpRequestLike }) => Promise<{ output: Record<string, unknown> }>;
type Middleware = (next: Next, context: { commandName?: string; clientName?: string }) => Next;
/** An AWS SDK v3 client as far as a middleware needs it (the soak's call recorder adds one too). */
export interface MiddlewareClient {
  middlewareStack: { add(middleware: Middleware, options: { step: 'build'; name: string }): void };
}

/** The table's partition key: a string in a native item, an AttributeValue in a wire-format one. */
const HASH_KEY = TABLE_DEFINITION.KeySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? 'pk';

/**
 * An item of a response as a plain object: the document client's commands are deserialized to
 * native values already, a bare DynamoDBClient's are still AttributeValues.
 */
const native = (item: Record<string, unknown> | undefined): Item | undefined =>
  item && typeof item[HASH_KEY] === 'object' ? unmarshall(item as RawItem) : item;

/**
 * An AttributeValue as a request's JSON carries it, with its binary values as bytes again: the wire
 * holds them in base64, a third longer than what DynamoDB stores and bills (a compressed body).
 */
const fromWire = (value: any): any => {
  if (value === null || typeof value !== 'object') return value;
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((b: string) => Buffer.from(b, 'base64')) };
  if (value.M) return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromWire(v)])) };
  if (value.L) return { L: value.L.map(fromWire) };
  return value;
};

/** An item of a request (PutItem, BatchWriteItem), as a plain object: what DynamoDB stores. */
const requestItem = (item: RawItem): Item =>
  unmarshall(Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromWire(value)])));

const utf8 = new TextDecoder();
/** A request body as text (the SDK serializes to bytes; its string-like adapter warns when used as a string). */
export const bodyText = (body: unknown): string =>
  body instanceof Uint8Array ? utf8.decode(body) : typeof body === 'string' ? body : '{}';

export class AwsCallMeter {
  private readonly counters = new Map<string, number>();
  private readonly mirror = new Map<string, Item>();
  private readonly tableKeys = TABLE_DEFINITION.KeySchema.map((k) => k.AttributeName);
  private readonly current = new AsyncLocalStorage<string>();

  /**
   * `apiFunctions`: the functions behind API Gateway routes (each invocation is one API request).
   * `reference`: also ask DynamoDB for its own figure (`ReturnConsumedCapacity: INDEXES`), summed
   * into `reference.wru` and `reference.rru` (DynamoDB Local computes it; dynalite does not).
   */
  constructor(
    private readonly apiFunctions: ReadonlySet<string>,
    private readonly options: { reference?: boolean } = {},
  ) {}

  add(name: string, amount = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + amount);
  }

  snapshot(): Usage {
    return Object.fromEntries(this.counters);
  }

  /** Every item in the table now (a scan by a client of the caller's that is not metered). */
  seed(items: Iterable<Item>): void {
    for (const item of items) this.remember(item);
  }

  /** The stack observer's client instrument. */
  readonly instrument = (client: InstrumentableClient): void => {
    (client as unknown as MiddlewareClient).middlewareStack.add(
      (next, context) => async (args) => {
        const target = args.request.headers['x-amz-target'] ?? '';
        // DynamoDB's and SQS's JSON protocols: the request's input, parsed once for every counter.
        const input = target === '' ? {} : (JSON.parse(bodyText(args.request.body)) as Record<string, any>);
        for (const call of iamCallsOf(target, context, input)) {
          this.add(callCounter({ functionName: this.functionName(), ...call }));
        }
        if (target.startsWith('DynamoDB_')) return this.dynamo(target.split('.')[1] ?? '', input, next, args);
        if (target.startsWith('AmazonSQS.')) return this.sqs(target.split('.')[1] ?? '', input, next, args);
        if (context.clientName === 'SchedulerClient') {
          this.add(`scheduler.api.${(context.commandName ?? 'unknown').replace(/Command$/, '')}`);
        }
        return next(args);
      },
      { step: 'build', name: 'vigilCostMeter' },
    );
  };

  /** The stack observer's invocation wrapper: one Lambda invocation, its wall time in whole ms. */
  readonly invocation = async <T>(functionName: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await this.current.run(functionName, run);
    } finally {
      this.add(`lambda.${functionName}.invocations`);
      this.add(`lambda.${functionName}.ms`, Math.ceil(performance.now() - started));
      if (this.apiFunctions.has(functionName)) this.add('apigateway.requests');
      // promote is the one target of the bucket schedules: each invocation is one Scheduler invocation.
      if (functionName === 'promote') this.add('scheduler.invocations');
    }
  };

  private keyOf(item: Record<string, unknown>): string {
    return this.tableKeys.map((name) => JSON.stringify(item[name])).join('|');
  }

  private remember(item: Item): void {
    if (this.mirror.size >= MIRROR_LIMIT) throw new Error(`the cost meter's mirror is full (${MIRROR_LIMIT} items)`);
    this.mirror.set(this.keyOf(item), item);
  }

  private functionName(): string {
    return this.current.getStore() ?? OUTSIDE_INVOCATIONS;
  }

  /** Units on one partition: the table's (`index` 'table', with the item's sort key) or an index's. */
  private addPartition(units: UnitKind, index: string, key: string, amount: number, sortKey?: unknown): void {
    const itemKind = index === 'table' && typeof sortKey === 'string' ? itemKindOf(sortKey) : '';
    const keyClass = partitionKeyClass(key);
    this.add(partitionCounter({ units, functionName: this.functionName(), index, keyClass, itemKind }), amount);
  }

  private chargeWrite(operation: string, before: Item | undefined, after: Item | undefined): void {
    const sortKey = (after ?? before)?.sk;
    for (const write of partitionWrites(before, after)) {
      this.add(`dynamodb.wru.${write.index}`, write.units);
      this.addPartition('wru', write.index, write.key, write.units, sortKey);
    }
    this.add(`dynamodb.calls.${operation}`);
  }

  /** `partition`: the table or index and key the read went to (a Scan has none). */
  private chargeRead(
    operation: string,
    entries: Item[],
    consistent: boolean,
    partition?: { index: string; key: string; sortKey?: unknown },
  ): void {
    const units = readUnits(entries, consistent);
    this.add('dynamodb.rru', units);
    if (partition) this.addPartition('rru', partition.index, partition.key, units, partition.sortKey);
    // DynamoDB charges a read that found nothing its minimum (DynamoDB Local reports 0 for a Query).
    if (entries.length === 0 && operation !== 'GetItem') this.add('dynamodb.emptyQueryPages');
    this.add(`dynamodb.calls.${operation}`);
  }

  private async dynamo(operation: string, input: Record<string, any>, next: Next, args: { request: HttpRequestLike }) {
    const asked = input.ReturnValues as string | undefined;
    const wanted = { PutItem: 'ALL_OLD', DeleteItem: 'ALL_OLD', UpdateItem: 'ALL_NEW' }[operation];
    const injected = wanted !== undefined && (asked === undefined || asked === 'NONE');
    if (wanted !== undefined && !injected && asked !== wanted) {
      throw new Error(`the cost meter cannot see the item after a ${operation} with ReturnValues ${asked}`);
    }
    if (injected || this.options.reference) {
      const body = JSON.stringify({
        ...input,
        ...(injected && { ReturnValues: wanted }),
        ...(this.options.reference && { ReturnConsumedCapacity: 'INDEXES' }),
      });
      args.request.body = body;
      args.request.headers['content-length'] = String(Buffer.byteLength(body));
    }
    const key = input.Key ? this.keyOf(unmarshall(input.Key)) : input.Item ? this.keyOf(unmarshall(input.Item)) : '';
    let result: { output: Record<string, unknown> };
    try {
      result = await next(args);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        const units = failedWriteUnits(this.mirror.get(key)).total;
        this.add('dynamodb.wru.table', units);
        const failedKey = unmarshall((input.Key ?? input.Item) as RawItem);
        this.addPartition('wru', 'table', String(failedKey[HASH_KEY]), units, failedKey.sk);
        this.add('dynamodb.conditionalCheckFailures');
        this.add(`dynamodb.calls.${operation}`);
      }
      throw error;
    }
    const { output } = result;
    if (this.options.reference) this.addReference(operation, output.ConsumedCapacity);
    const attributes = native(output.Attributes as Item | undefined);
    if (injected) delete output.Attributes;
    switch (operation) {
      case 'PutItem': {
        const after = requestItem(input.Item as RawItem);
        this.chargeWrite(operation, attributes, after);
        this.remember(after);
        break;
      }
      case 'UpdateItem':
        this.chargeWrite(operation, this.mirror.get(key), attributes);
        if (attributes) this.remember(attributes);
        break;
      case 'DeleteItem':
        this.chargeWrite(operation, attributes, undefined);
        this.mirror.delete(key);
        break;
      case 'BatchWriteItem':
        this.batchWrite(input.RequestItems, output.UnprocessedItems as Record<string, unknown[]> | undefined);
        break;
      case 'GetItem': {
        const stored = this.mirror.get(key) ?? native(output.Item as Item | undefined);
        const wanted = unmarshall(input.Key as RawItem);
        this.chargeRead(operation, stored ? [stored] : [], input.ConsistentRead === true, {
          index: 'table',
          key: String(wanted[HASH_KEY]),
          sortKey: wanted.sk,
        });
        break;
      }
      case 'BatchGetItem':
        for (const returned of Object.values((output.Responses ?? {}) as Record<string, Item[]>).flat()) {
          const item = native(returned) as Item;
          this.chargeRead(operation, [this.mirror.get(this.keyOf(item)) ?? item], input.ConsistentRead === true, {
            index: 'table',
            key: String(item[HASH_KEY]),
            sortKey: item.sk,
          });
        }
        break;
      case 'Query':
      case 'Scan':
        this.queryPage(operation, input, output);
        break;
      default:
        this.add(`dynamodb.calls.${operation}`);
    }
    return result;
  }

  private addReference(operation: string, consumed: unknown): void {
    const total = [consumed]
      .flat()
      .reduce((sum: number, c) => sum + Number((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0), 0);
    const write = /^(Put|Update|Delete|BatchWrite)/.test(operation);
    this.add(write ? 'reference.wru' : 'reference.rru', total);
  }

  private batchWrite(requests: Record<string, any[]>, unprocessed: Record<string, unknown[]> | undefined) {
    const left = new Set(
      Object.values(unprocessed ?? {})
        .flat()
        .map((r) => JSON.stringify(r)),
    );
    for (const request of Object.values(requests).flat()) {
      if (left.has(JSON.stringify(request))) continue;
      if (request.PutRequest) {
        const after = requestItem(request.PutRequest.Item as RawItem);
        this.chargeWrite('BatchWriteItem.Put', this.mirror.get(this.keyOf(after)), after);
        this.remember(after);
      } else if (request.DeleteRequest) {
        const key = this.keyOf(unmarshall(request.DeleteRequest.Key as RawItem));
        this.chargeWrite('BatchWriteItem.Delete', this.mirror.get(key), undefined);
        this.mirror.delete(key);
      }
    }
    this.add('dynamodb.calls.BatchWriteItem');
  }

  /**
   * A Query or Scan page is charged on every entry it read, before any filter: the returned items'
   * stored entries (from the mirror, whatever the projection asked for). Entries a filter dropped
   * are not returned, so they are charged at the page's mean size and counted as estimated.
   */
  private queryPage(operation: string, input: Record<string, any>, output: Record<string, unknown>) {
    const index = input.IndexName as string | undefined;
    const entries = ((output.Items ?? []) as Item[]).map((item) => {
      const returned = native(item) as Item;
      const stored = this.mirror.get(this.keyOf(returned)) ?? returned;
      return index ? (indexEntryOf(stored, index) ?? returned) : stored;
    });
    const dropped = Number(output.ScannedCount ?? entries.length) - entries.length;
    if (dropped > 0) {
      const mean = entries.length > 0 ? entries[0] : {};
      for (let i = 0; i < dropped; i += 1) entries.push(mean as Item);
      this.add('dynamodb.estimatedEntries', dropped);
    }
    this.chargeRead(
      operation,
      entries,
      index === undefined && input.ConsistentRead === true,
      operation === 'Query'
        ? { index: index ?? 'table', key: queriedKey(input), sortKey: queriedSortKey(input) }
        : undefined,
    );
  }

  private async sqs(operation: string, input: Record<string, any>, next: Next, args: { request: HttpRequestLike }) {
    const sent: string[] =
      operation === 'SendMessageBatch'
        ? (input.Entries ?? []).map((e: { MessageBody: string }) => e.MessageBody)
        : operation === 'SendMessage'
          ? [input.MessageBody]
          : [];
    const result = await next(args);
    const received = ((result.output.Messages ?? []) as Array<{ Body?: string }>).map((m) => m.Body ?? '');
    const bytes = [...sent, ...received].reduce((sum, body) => sum + Buffer.byteLength(body), 0);
    if (operation === 'ReceiveMessage' && received.length === 0) {
      this.add('sqs.emptyReceives');
      return result;
    }
    const requests = Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
    this.add('sqs.requests', requests);
    this.add(`sqs.calls.${operation}`);
    const queue =
      String(input.QueueUrl ?? '')
        .split('/')
        .pop() ?? '';
    this.add(queueCounter(this.functionName(), queue, operation), requests);
    if (sent.length > 0) this.add(queueCounter(this.functionName(), queue, MESSAGES_SENT), sent.length);
    return result;
  }
}

/** A Query's partition key value: the value its key condition gives the first name it compares. */
export const queriedKey = (input: Record<string, any>): string => {
  const [, placeholder = ''] = /^\s*#?\w+\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression ?? '')) ?? [];
  const value = input.ExpressionAttributeValues?.[placeholder];
  return String(value && typeof value === 'object' ? (value.S ?? value.N ?? '') : (value ?? ''));
};

/** A table Query's first sort key bound (`begins_with(sk, :x)`, `sk BETWEEN :x AND …`): the item kind it reads. */
const queriedSortKey = (input: Record<string, any>): string | undefined => {
  const condition = String(input.KeyConditionExpression ?? '');
  const [, placeholder = ''] = /(?:begins_with\(\s*sk\s*,\s*|\bsk\s+BETWEEN\s+)(:\w+)/.exec(condition) ?? [];
  const value = input.ExpressionAttributeValues?.[placeholder];
  return value === undefined ? undefined : String(typeof value === 'object' ? value.S : value);
};

/** `after − before`, leaving out what did not change. */
export const usageBetween = (before: Usage, after: Usage): Usage =>
  Object.fromEntries(
    Object.entries(after)
      .map(([name, value]) => [name, value - (before[name] ?? 0)] as const)
      .filter(([, value]) => value !== 0),
  );
