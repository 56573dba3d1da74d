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
 *
 * The counters only grow: a scenario's usage is the difference of two snapshots.
 */
import type { InstrumentableClient } from '@vigil/aws';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';
import type { Item } from './dynamo-request-units';
import { failedWriteUnits, indexEntryOf, readUnits, writeUnits } from './dynamo-request-units';

/** A snapshot of the counters, by name (`dynamodb.wru.table`, `lambda.deliver.ms`, ...). */
export type Usage = Record<string, number>;

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
interface MiddlewareClient {
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

const utf8 = new TextDecoder();
/** A request body as text (the SDK serializes to bytes; its string-like adapter warns when used as a string). */
const bodyText = (body: unknown): string =>
  body instanceof Uint8Array ? utf8.decode(body) : typeof body === 'string' ? body : '{}';

export class AwsCallMeter {
  private readonly counters = new Map<string, number>();
  private readonly mirror = new Map<string, Item>();
  private readonly tableKeys = TABLE_DEFINITION.KeySchema.map((k) => k.AttributeName);

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
        if (target.startsWith('DynamoDB_')) return this.dynamo(target.split('.')[1] ?? '', next, args);
        if (target.startsWith('AmazonSQS.')) return this.sqs(target.split('.')[1] ?? '', next, args);
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
      return await run();
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

  private chargeWrite(operation: string, before: Item | undefined, after: Item | undefined): void {
    const units = writeUnits(before, after);
    this.add('dynamodb.wru.table', units.table);
    for (const [index, n] of Object.entries(units.indexes)) this.add(`dynamodb.wru.${index}`, n);
    this.add(`dynamodb.calls.${operation}`);
  }

  private chargeRead(operation: string, entries: Item[], consistent: boolean): void {
    this.add('dynamodb.rru', readUnits(entries, consistent));
    // DynamoDB charges a read that found nothing its minimum (DynamoDB Local reports 0 for a Query).
    if (entries.length === 0 && operation !== 'GetItem') this.add('dynamodb.emptyQueryPages');
    this.add(`dynamodb.calls.${operation}`);
  }

  private async dynamo(operation: string, next: Next, args: { request: HttpRequestLike }) {
    const input = JSON.parse(bodyText(args.request.body)) as Record<string, any>;
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
        this.add('dynamodb.wru.table', failedWriteUnits(this.mirror.get(key)).total);
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
        const after = unmarshall(input.Item as RawItem);
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
        this.chargeRead(operation, stored ? [stored] : [], input.ConsistentRead === true);
        break;
      }
      case 'BatchGetItem':
        for (const returned of Object.values((output.Responses ?? {}) as Record<string, Item[]>).flat()) {
          const item = native(returned) as Item;
          this.chargeRead(operation, [this.mirror.get(this.keyOf(item)) ?? item], input.ConsistentRead === true);
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
        const after = unmarshall(request.PutRequest.Item as RawItem);
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
    this.chargeRead(operation, entries, index === undefined && input.ConsistentRead === true);
  }

  private async sqs(operation: string, next: Next, args: { request: HttpRequestLike }) {
    const input = JSON.parse(bodyText(args.request.body)) as Record<string, any>;
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
    this.add('sqs.requests', Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES)));
    this.add(`sqs.calls.${operation}`);
    return result;
  }
}

/** `after − before`, leaving out what did not change. */
export const usageBetween = (before: Usage, after: Usage): Usage =>
  Object.fromEntries(
    Object.entries(after)
      .map(([name, value]) => [name, value - (before[name] ?? 0)] as const)
      .filter(([, value]) => value !== 0),
  );
