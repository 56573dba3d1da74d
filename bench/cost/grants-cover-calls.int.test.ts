/**
 * Every AWS call a function really makes is allowed by the role infra/functions.ts gives it. The
 * local stack has no IAM, so a call the role lacks works in every other test and is refused only on
 * AWS: the sweep's `deferPending` (an UpdateItem) was refused that way on every deployment until
 * 2026-12-04. Here the handlers run on the local stack with the cost bench's meter, which records
 * each call as IAM authorises it (aws-call-meter.ts: `AwsCall`) under the function whose invocation
 * made it, through every route the API deploys (the message routes, bulk jobs, keys, notification
 * endpoints, usage, the console's sign-in and sign-out with a session token, the canary receiver),
 * the engine (deliver, promote, the sweep re-enqueueing an overdue message, retries), the canary,
 * metering and bulk jobs, with the tenant's items sharded as deployed; then each call is matched
 * against that function's statements (statementsFor, what the template carries):
 * its action, its resource and, where the statement has a `dynamodb:LeadingKeys` condition, the
 * partition key it touched (IAM's ForAllValues with StringEquals or StringLike). Without the keys a
 * condition too narrow for a function's real calls would pass here and break it only on AWS.
 *
 * The error paths too: their calls (a rollback's DeleteItem, a re-read after a write whose answer was
 * lost) are made only when something fails, and a grant missing for one breaks it on AWS exactly
 * then (createApiKey's delete of the authorizer's record of a key it could not list was refused so
 * until 2026-12-08: a working key nobody held stayed). A one-shot fault (aws-call-fault.ts) fails
 * each DynamoDB write, SQS send (a ticket's, a bulk job step's, usage events') and Scheduler
 * CreateSchedule (a far bucket's timer) of each write route, the authorizer, deliver, promote,
 * bulkJobs, metering, the canary and the sweep in turn, unsent or applied with its answer lost, with
 * the roles enforced as IAM would; the calls that follow are checked likewise (a bulk job whose step
 * was not queued is left to the sweep, as on AWS, so its re-queueing is checked too).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CANARY_TENANT_ID } from '@vigil/aws/canary';
import { JOB_IDLE_MS } from '@vigil/aws/queue-settings';
import { INDEX } from '@vigil/aws/table-definition';
import { TenantPartitions } from '@vigil/aws/tenant-partitions';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { handler as canary } from '@vigil/functions/engine/canary';
import { handler as promote } from '@vigil/functions/engine/promote';
import { handler as sweep } from '@vigil/functions/engine/sweep';
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { startStack } from '@vigil/local/stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsCall, Usage } from './aws-call-meter';
import {
  AwsCallMeter,
  OUTSIDE_INVOCATIONS,
  parseCallCounter,
  UNKNOWN_PARTITION_KEY,
  usageBetween,
} from './aws-call-meter';
import type { DynamoWrite, FaultKind, FiredFault } from './aws-call-fault';
import { AwsCallFaults } from './aws-call-fault';
import { until } from './cost-scenarios';
import { consoleSessionToken } from '../../test-support/console-session';
import type { CfnValue, PolicyStatement } from '../../infra/cloudformation';
import { FUNCTIONS, PROMOTED_BUCKETS_KEY, statementsFor } from '../../infra/functions';
import { deliveryQueueArn, jobQueueArn, meteringQueueArn, promptDeliveryQueueArn } from '../../infra/queues';
import type { IndexName } from '../../infra/tables';
import { indexArn, tableArn } from '../../infra/tables';

const INDEXES: IndexName[] = Object.values(INDEX);
/** A faulted call as a failure names it: its operation and the keys it wrote (or the queue it sent to). */
const describeWrite = ({ write }: FiredFault): string =>
  `${write.operation} ${write.service === 'dynamodb' ? write.keys.map((key) => `${key.pk} ${key.sk}`).join(', ') : write.table}`;
/** The tenant's items spread over keys as on AWS (`T#<tenant>#<n>`; the deployed default is 128), so the grants meet sharded keys. */
const TENANT_SHARDS = 4;
/** The functions the test does not run, and why. */
const NOT_RUN: Readonly<Record<string, string>> = {
  health: 'it makes no AWS call',
  tableLayoutCheck:
    "a deploy's custom resource: the stack checks its table's layout itself at start, outside any invocation (its role is table-wide: a Scan)",
};

/** Which function's role a call is checked against, and its statements. */
const statementsOf = (functionName: string): PolicyStatement[] => {
  const fn = FUNCTIONS.find((f) => f.key === functionName);
  if (!fn) throw new Error(`a call was made in ${functionName}, which infra/functions.ts does not deploy`);
  return statementsFor(fn.key, fn.grants);
};

/** IAM's StringLike: `*` any run of characters, `?` any one, the rest literally (case-sensitive). */
const stringLike = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('')}$`,
    's',
  ).test(value);

const LEADING_KEYS = 'dynamodb:LeadingKeys';
/** The set operators IAM offers on dynamodb:LeadingKeys, and how each compares one value with one pattern. */
const LEADING_KEY_OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  'ForAllValues:StringEquals': (pattern, value) => pattern === value,
  'ForAllValues:StringLike': stringLike,
};

/**
 * Whether a statement's `dynamodb:LeadingKeys` condition, if any, lets a call touch its partition
 * key: ForAllValues, so each key a request touches must match one of the values (a batch or
 * transaction is one recorded call per item), and a call with no key (a Scan) passes, as in IAM.
 * Conditions on other keys (resource tags, iam:PassedToService) are not judged here.
 */
const conditionAllows = (statement: PolicyStatement, call: Pick<AwsCall, 'partitionKey'>): boolean =>
  Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    if (!(LEADING_KEYS in keys)) return true;
    const matches = LEADING_KEY_OPERATORS[operator];
    if (!matches) throw new Error(`the grants check cannot judge ${operator} on ${LEADING_KEYS}`);
    const patterns = [keys[LEADING_KEYS]].flat();
    if (!patterns.every((pattern): pattern is string => typeof pattern === 'string')) {
      throw new Error(`the grants check judges ${LEADING_KEYS} against literal strings only`);
    }
    return call.partitionKey === undefined || patterns.some((pattern) => matches(pattern, call.partitionKey!));
  });

/**
 * Whether `statements` allow `call`: a statement with its action on its resource (the table, the
 * index by name, the queue by the local queue it stands for; a call on `*` (Scheduler, API Gateway,
 * SSM) by its action only) whose partition key condition, if any, the call's key meets.
 */
const allows = (
  statements: readonly PolicyStatement[],
  call: Pick<AwsCall, 'action' | 'resource' | 'partitionKey'>,
  resourceOf: (value: CfnValue) => string,
): boolean =>
  statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      statement.Action.includes(call.action as PolicyStatement['Action'][number]) &&
      (call.resource === '*' || statement.Resource.some((resource) => resourceOf(resource) === call.resource)) &&
      conditionAllows(statement, call),
  );

describe('the grants check', () => {
  const table = (value: CfnValue) => (JSON.stringify(value) === JSON.stringify(tableArn) ? 'table' : 'other');
  const put = (partitionKey?: string) => ({ action: 'dynamodb:PutItem', resource: 'table', partitionKey });
  const keysLike = (patterns: string[]): PolicyStatement => ({
    Effect: 'Allow',
    Action: ['dynamodb:PutItem'],
    Resource: [tableArn],
    Condition: { 'ForAllValues:StringLike': { [LEADING_KEYS]: patterns } },
  });

  it("refuses a write outside a function's partition keys: promote's put of a message", () => {
    const promote = FUNCTIONS.find((f) => f.key === 'promote')!;
    const statements = statementsFor(promote.key, promote.grants);
    expect(allows(statements, put('BUCKETS'), table)).toBe(true);
    expect(allows(statements, put('T#tnt_1'), table)).toBe(false);
    expect(allows(statements, put('BUCKETS#1'), table)).toBe(false);
  });

  it("refuses the sweep an API key's, a user's, a session's or the layout's item, not a tenant's or a bucket note", () => {
    const sweep = FUNCTIONS.find((f) => f.key === 'sweep')!;
    const statements = statementsFor(sweep.key, sweep.grants);
    for (const key of ['T#tnt_1', 'BUCKETS']) expect(allows(statements, put(key), table), key).toBe(true);
    for (const key of ['K#0123abcd', 'U#usr_1', 'S#ses_1', 'LAYOUT']) {
      expect(allows(statements, put(key), table), key).toBe(false);
    }
  });

  it("refuses the delivery worker, bulk jobs and metering any item outside tenants' partitions", () => {
    for (const fn of FUNCTIONS.filter((f) => ['deliver', 'bulkJobs', 'metering'].includes(f.key))) {
      const statements = statementsFor(fn.key, fn.grants);
      const action = fn.grants.table![0]!;
      expect(allows(statements, { ...put('T#tnt_1#3'), action }, table), fn.key).toBe(true);
      for (const key of ['K#0123abcd', 'U#usr_1', 'BUCKETS', 'LAYOUT']) {
        expect(allows(statements, { ...put(key), action }, table), `${fn.key} ${key}`).toBe(false);
      }
    }
  });

  it("refuses each API function every partition its calls do not use: a tenant route any API key's, user's, session's, note's or layout item", () => {
    const item = {
      tenant: 'T#tnt_1#3',
      apiKey: 'K#0123abcd',
      user: 'U#dev:ada@example.com',
      session: 'S#ses_1',
      notes: 'BUCKETS',
      layout: 'LAYOUT',
    };
    const uses: Record<string, Array<keyof typeof item>> = {
      authorizer: ['tenant', 'apiKey', 'session'],
      createApiKey: ['tenant', 'apiKey'],
      revokeApiKey: ['tenant', 'apiKey'],
      claimSessionTenant: ['tenant', 'user'],
      revokeSession: ['session'],
    };
    const api = FUNCTIONS.filter(
      (f) => (API_ROUTES.some((r) => r.functionName === f.key) || f.key === 'authorizer') && f.grants.table,
    );
    for (const fn of api.filter((f) => f.key !== 'canaryReceiver')) {
      const statements = statementsFor(fn.key, fn.grants);
      const action = fn.grants.table![0]!;
      for (const [kind, key] of Object.entries(item)) {
        const allowed = (uses[fn.key] ?? ['tenant']).includes(kind as keyof typeof item);
        expect(allows(statements, { ...put(key), action }, table), `${fn.key} ${key}`).toBe(allowed);
      }
    }
  });

  it("refuses the canary and its receiver any partition but the canary tenant's: its item, and its probes' shards for the canary", () => {
    const others = ['T#tnt_1', 'T#tnt_1#3', 'T#tnt_canaryx', 'T#tnt_canaryx#1', 'K#0123abcd', 'BUCKETS'];
    for (const [name, allowed, refused] of [
      ['canary', ['T#tnt_canary', 'T#tnt_canary#0', 'T#tnt_canary#127'], others],
      // It reads the tenant's signing secrets only, never a probe.
      ['canaryReceiver', ['T#tnt_canary'], ['T#tnt_canary#3', ...others]],
    ] as const) {
      const fn = FUNCTIONS.find((f) => f.key === name)!;
      const statements = statementsFor(fn.key, fn.grants);
      const action = fn.grants.table![0]!;
      for (const key of allowed)
        expect(allows(statements, { ...put(key), action }, table), `${name} ${key}`).toBe(true);
      for (const key of refused)
        expect(allows(statements, { ...put(key), action }, table), `${name} ${key}`).toBe(false);
    }
  });

  it("lets an error path undo what it wrote and nothing more: createApiKey the authorizer's K# record, createMessage its message, the canary its probe", () => {
    const del = (partitionKey: string) => ({ action: 'dynamodb:DeleteItem', resource: 'table', partitionKey });
    for (const [name, allowed, refused] of [
      // Its tenant's items and records stay: a failed create deletes only the key it made.
      ['createApiKey', ['K#0123abcd'], ['T#tnt_1', 'T#tnt_1#3', 'U#usr_1', 'S#ses_1']],
      ['createMessage', ['T#tnt_1#3'], ['K#0123abcd', 'BUCKETS']],
      // Never its tenant's item (its signing secrets), only its probes under the shards.
      ['canary', ['T#tnt_canary#0', 'T#tnt_canary#127'], ['T#tnt_canary', 'T#tnt_1#3']],
    ] as const) {
      const fn = FUNCTIONS.find((f) => f.key === name)!;
      const statements = statementsFor(fn.key, fn.grants);
      for (const key of allowed) expect(allows(statements, del(key), table), `${name} ${key}`).toBe(true);
      for (const key of refused) expect(allows(statements, del(key), table), `${name} ${key}`).toBe(false);
    }
  });

  it("judges a Query of an index by the index's own statement: the table's partition key condition does not reach it", () => {
    const byResource = (value: CfnValue) =>
      JSON.stringify(value) === JSON.stringify(tableArn)
        ? 'table'
        : (INDEXES.find((index) => JSON.stringify(indexArn(index)) === JSON.stringify(value)) ?? 'other');
    const query = (resource: string, partitionKey: string) => ({ action: 'dynamodb:Query', resource, partitionKey });
    const list = FUNCTIONS.find((f) => f.key === 'listMessages')!;
    const statements = statementsFor(list.key, list.grants);
    // A listing's pages: the tenant's partitions on the table, its status's listing entries on byStatus.
    expect(allows(statements, query('table', 'T#tnt_1#3'), byResource)).toBe(true);
    expect(allows(statements, query(INDEX.byStatus, 'T#tnt_1#queued#3'), byResource)).toBe(true);
    expect(allows(statements, query('table', 'K#0123abcd'), byResource)).toBe(false);
    // An index it was not granted, whatever the key.
    expect(allows(statements, query(INDEX.pending, 'P#3'), byResource)).toBe(false);
    // The sweep's index queries are its index statements', not held by its item condition (T#*, BUCKETS).
    const sweep = FUNCTIONS.find((f) => f.key === 'sweep')!;
    for (const [index, key] of [
      [INDEX.pending, 'P#3'],
      [INDEX.pending, 'JOBS'],
      [INDEX.bucket, 'B#1765000000000#3'],
    ] as const) {
      expect(allows(statementsFor(sweep.key, sweep.grants), query(index, key), byResource), key).toBe(true);
    }
  });

  it('matches StringLike as IAM does: * any run, ? one character, the rest literally', () => {
    const statements = [keysLike(['T#*', 'B?', 'a.c'])];
    for (const key of ['T#tnt_1', 'T#', 'Bx', 'a.c']) expect(allows(statements, put(key), table), key).toBe(true);
    for (const key of ['K#abc', 't#tnt_1', 'xT#1', 'B', 'Bxy', 'abc']) {
      expect(allows(statements, put(key), table), key).toBe(false);
    }
    // No key in the request (a Scan): ForAllValues holds.
    expect(allows(statements, put(), table)).toBe(true);
  });

  it('refuses an operator on the partition keys that it cannot judge', () => {
    const statement = { ...keysLike(['T#*']), Condition: { 'ForAnyValue:StringLike': { [LEADING_KEYS]: ['T#*'] } } };
    expect(() => allows([statement], put('T#1'), table)).toThrow(/cannot judge/);
  });
});

describe('the IAM grants, against the calls the functions make', () => {
  let dataDir: string;
  let stack: LocalStack;
  let receiver: Receiver;
  let calls: AwsCall[];
  let resourceOf: (value: CfnValue) => string;
  const meter = new AwsCallMeter(new Set(API_ROUTES.map((route) => route.functionName)));
  const faults = new AwsCallFaults();
  // The fault's middleware inside the meter's (it records the faulted call too), its invocations inside the meter's.
  const observer = {
    instrument: (client: Parameters<AwsCallMeter['instrument']>[0]) => {
      meter.instrument(client);
      faults.instrument(client);
    },
    invocation: <T>(functionName: string, run: () => Promise<T>) =>
      meter.invocation(functionName, () => faults.invocation(functionName, run)),
  };

  /** A request's answer: its status, content type and body (parsed; `{}` if empty). */
  const attempt = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${stack.apiKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text,
      body: text === '' ? {} : JSON.parse(text),
    };
  };
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const answer = await attempt(method, path, body, headers);
    // A 4xx may still be what a route answers here; a 5xx never is.
    expect(answer.status, `${method} ${path}: ${answer.text}`).toBeLessThan(500);
    return answer.body;
  };
  const statusOf = async (id: string): Promise<string> => (await api('GET', `/v1/messages/${id}`)).status;
  const within = (what: string, check: () => Promise<boolean>) => until(what, check, 20_000);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-grants-'));
    // `/flaky` fails its first attempt (then waits out a 30 s backoff, unless retried now).
    receiver = await startReceiver({
      respond: ({ path, count }) => (path.startsWith('/flaky') && count < 1 ? 500 : 200),
    });
    stack = await startStack({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      authCacheMs: 60_000,
      // The test runs the sweep itself, in an invocation the meter sees.
      sweepEveryMs: 3_600_000,
      rateLimits: false,
      env: {
        VIGIL_TENANT_SHARDS: String(TENANT_SHARDS),
        // The canary's probes go to the receiver (due in 1 and 20 minutes: sent after the test, if at all).
        VIGIL_CANARY_URL: `${receiver.url}/canary-receiver`,
        VIGIL_NEAR_WINDOW_S: '10',
        VIGIL_FAR_LEAD_S: '3',
        VIGIL_BUCKET_S: '1',
        VIGIL_ARM_LEAD_MS: '1000',
        VIGIL_RETRY_BASE_MS: '30000',
        VIGIL_LOG_LEVEL: 'error',
      },
      // As on AWS: usage goes through the metering queue to the metering function (folded each 200 ms).
      metering: 'queue',
      usageFoldEveryMs: 200,
      observer,
    });
    const { config } = stack.runtime;
    const queueName = (url: string | undefined) => url?.split('/').pop() ?? '';
    const known = new Map<string, string>([
      [JSON.stringify(tableArn), 'table'],
      ...INDEXES.map((index): [string, string] => [JSON.stringify(indexArn(index)), index]),
      [JSON.stringify(deliveryQueueArn), queueName(config.deliveryQueueUrl)],
      [JSON.stringify(promptDeliveryQueueArn), queueName(config.promptQueueUrl)],
      [JSON.stringify(meteringQueueArn), queueName(config.meteringQueueUrl)],
      [JSON.stringify(jobQueueArn), queueName(config.jobQueueUrl)],
    ]);
    resourceOf = (value) => known.get(JSON.stringify(value)) ?? 'other';

    const url = (path: string) => `${receiver.url}/${path}`;
    // Messages: near, far, a batch, one retried now after a failed attempt, cancelled ones.
    const near = await api('POST', '/v1/messages', { url: url('near'), delay: 2, body: { a: 1 } });
    // Far: one through its bucket (promote), one rescheduled into the near window.
    const far = await api('POST', '/v1/messages', { url: url('far'), delay: 14, body: { a: 2 } });
    const moved = await api('POST', '/v1/messages', { url: url('moved'), delay: 30, body: { a: 3 } });
    await api('PATCH', `/v1/messages/${moved.id}`, { delay: 5 });
    const batch = await api('POST', '/v1/messages/batch', {
      messages: [1, 2, 3].map((i) => ({ url: url(`batch/${i}`), delay: 2 })),
    });
    const flaky = await api('POST', '/v1/messages', { url: url('flaky'), delay: 1 });
    const cancelled = await api('POST', '/v1/messages', { url: url('cancelled'), delay: 60 });
    await api('DELETE', `/v1/messages/${cancelled.id}`);
    const bulkCancelled = await api('POST', '/v1/messages', { url: url('bulk-cancelled'), delay: 60 });
    // By a filter (its pages read the byStatus index), where the redeliver below goes by ids.
    const cancelJob = await api('POST', '/v1/messages/cancel', {
      filter: { status: ['scheduled'], urlPrefix: url('bulk-cancelled') },
    });
    // An overdue message (due an hour ago and still queued, as a lost ticket leaves one): the sweep
    // defers its place in the pending index past the flight allowance and re-enqueues it. Due in ten
    // minutes (its own ticket surfaces after the test), so no worker can take it before it is made
    // overdue below, as one could a message due in seconds on a loaded machine; the sweep's ticket sends it.
    const overdue = await api('POST', '/v1/messages', { url: url('overdue'), delay: 600 });
    const raw = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stack.dynamoEndpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    await raw.send(
      new UpdateCommand({
        TableName: config.table,
        Key: { pk: new TenantPartitions(TENANT_SHARDS).messagePk(stack.tenantId, overdue.id), sk: `M#${overdue.id}` },
        UpdateExpression: 'SET pendingAt = :past, dueAt = :past',
        ExpressionAttributeValues: { ':past': Date.now() - 3_600_000 },
      }),
    );
    raw.destroy();
    expect((await observer.invocation('sweep', () => sweep({}))).requeued).toBeGreaterThanOrEqual(1);

    await within('the first attempt to fail', async () => (await statusOf(flaky.id)) === 'retrying');
    // Keyed, and repeated: the key's claim, then its replay (settling the claim, an update).
    const retryKey = { 'idempotency-key': 'grants-retry' };
    await api('POST', `/v1/messages/${flaky.id}/retry`, undefined, retryKey);
    await api('POST', `/v1/messages/${flaky.id}/retry`, undefined, retryKey);
    const ids = [near.id, far.id, moved.id, flaky.id, overdue.id, ...batch.items.map((m: { id: string }) => m.id)];
    await within('every message delivered', async () =>
      (await Promise.all(ids.map(statusOf))).every((status) => status === 'delivered'),
    );
    await within('the bulk cancel', async () => (await api('GET', `/v1/jobs/${cancelJob.id}`)).state === 'done');
    expect(await statusOf(bulkCancelled.id)).toBe('cancelled');
    // Reads, redeliveries and a bulk job.
    await api('GET', '/v1/messages?limit=5');
    await api('GET', '/v1/messages?status=delivered&limit=5');
    await api('GET', `/v1/messages/${near.id}/attempts`);
    await api('GET', `/v1/messages/${near.id}/body`);
    // Keyed, and repeated: the key's claim, then its replay (settling the claim, an update).
    const redeliverKey = { 'idempotency-key': 'grants-redeliver' };
    await api('POST', `/v1/messages/${near.id}/redeliver`, undefined, redeliverKey);
    await api('POST', `/v1/messages/${near.id}/redeliver`, undefined, redeliverKey);
    const job = await api('POST', '/v1/messages/redeliver', { ids: [far.id] });
    await within('the bulk job to finish', async () => (await api('GET', `/v1/jobs/${job.id}`)).state === 'done');
    await api('GET', '/v1/jobs?state=done&limit=5');
    await within(
      'the redeliveries',
      async () => (await statusOf(near.id)) === 'delivered' && (await statusOf(far.id)) === 'delivered',
    );
    // Tenancy: signing secret, keys, notification endpoints, usage.
    await api('GET', '/v1/signing-secret');
    // The account's actions keyed, and repeated: the key's claim, then its replay (settling the claim, an update).
    const rotateKey = { 'idempotency-key': 'grants-rotate' };
    await api('POST', '/v1/signing-secret/rotate', undefined, rotateKey);
    await api('POST', '/v1/signing-secret/rotate', undefined, rotateKey);
    const keyKey = { 'idempotency-key': 'grants-key' };
    const key = await api('POST', '/v1/keys', { name: 'grants' }, keyKey);
    await api('POST', '/v1/keys', { name: 'grants' }, keyKey);
    await api('GET', '/v1/keys');
    await api('DELETE', `/v1/keys/${key.id}`);
    const endpointKey = { 'idempotency-key': 'grants-endpoint' };
    const ops = { url: url('ops'), events: ['key.created'] };
    const endpoint = await api('POST', '/v1/notification-endpoints', ops, endpointKey);
    await api('POST', '/v1/notification-endpoints', ops, endpointKey);
    await api('GET', '/v1/notification-endpoints');
    const testKey = { 'idempotency-key': 'grants-test' };
    await api('POST', `/v1/notification-endpoints/${endpoint.id}/test`, undefined, testKey);
    await api('POST', `/v1/notification-endpoints/${endpoint.id}/test`, undefined, testKey);
    await api('GET', `/v1/notification-endpoints/${endpoint.id}/deliveries`);
    await api('DELETE', `/v1/notification-endpoints/${endpoint.id}`);
    await api('GET', '/v1/usage');
    // The console: a user's first sign-in claims their tenant (the user's record, the tenant, its usage
    // plan's key), a session of that tenant calls the API (the authorizer reads the session's
    // revocation and the tenant) and signs out (the session's revocation).
    const secret = { secret: stack.sessionSecret };
    const user = await consoleSessionToken(
      { sub: 'grants', userId: 'dev:grants@example.com', email: 'grants@example.com' },
      secret,
    );
    const claimed = await api('POST', '/v1/session/tenant', {}, { authorization: `Bearer ${user}` });
    expect(claimed.id).toMatch(/^tnt_/);
    const session = { authorization: `Bearer ${await consoleSessionToken({ tenantId: claimed.id }, secret)}` };
    expect((await api('GET', '/v1/keys', undefined, session)).items).toEqual(expect.any(Array));
    expect(await api('POST', '/v1/session/revoke', {}, session)).toEqual({});
    // The canary: its tenant (made on first use) and its two probes, under the tenant's shards; and a
    // probe signed by the canary tenant at the canary receiver, as its deliveries arrive.
    expect((await observer.invocation('canary', () => canary())).scheduled).toHaveLength(2);
    const [canarySecret] = (await stack.tenantAdmin.tenancy.tenants.getTenant(CANARY_TENANT_ID))!.signingSecrets;
    const probe = JSON.stringify({ probe: 'near' });
    const sentAt = new Date();
    const probed = await fetch(`${stack.url}/canary-receiver`, {
      method: 'POST',
      headers: {
        'webhook-id': 'msg_01JDXPROBE0000000000000000',
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(canarySecret!).sign('msg_01JDXPROBE0000000000000000', sentAt, probe),
        'vigil-scheduled-at': sentAt.toISOString(),
        'content-type': 'application/json',
      },
      body: probe,
    });
    expect(probed.status).toBe(204);
    // Usage reaches the metering function within its window.
    await within(
      'the metering function to fold usage',
      async () => meter.snapshot()['lambda.metering.invocations']! > 0,
    );

    calls = Object.keys(meter.snapshot())
      .map(parseCallCounter)
      .filter((call): call is AwsCall => call !== undefined && call.functionName !== OUTSIDE_INVOCATIONS);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('ran every function whose calls it checks, and names why it runs no other', () => {
    const ran = new Set(calls.map((call) => call.functionName));
    for (const { key } of FUNCTIONS) if (!(key in NOT_RUN)) expect(ran, key).toContain(key);
    for (const name of Object.keys(NOT_RUN)) expect(FUNCTIONS.map((f) => f.key)).toContain(name);
  });

  it("used every partition key class each function's grant allows: none is wider than its calls", () => {
    for (const { key, grants } of FUNCTIONS) {
      if (!grants.tableKeys) continue;
      const keys = calls
        .filter((call) => call.functionName === key && call.resource === 'table')
        .map((call) => call.partitionKey ?? '');
      for (const pattern of grants.tableKeys) {
        expect(
          keys.some((partitionKey) => stringLike(pattern, partitionKey)),
          `${key}: no call under ${pattern}`,
        ).toBe(true);
      }
    }
  });

  it('finds every call a function made in its role', () => {
    const refused = calls.filter((call) => !allows(statementsOf(call.functionName), call, resourceOf));
    expect(refused).toEqual([]);
    // Each DynamoDB call but a Scan was checked with the partition key it touched.
    const dynamo = calls.filter((call) => call.action.startsWith('dynamodb:') && call.action !== 'dynamodb:Scan');
    expect(dynamo.filter((call) => call.partitionKey === undefined)).toEqual([]);
    expect(dynamo.filter((call) => call.partitionKey === UNKNOWN_PARTITION_KEY)).toEqual([]);
    // Promote's notes, under the one partition key its role allows.
    const notes = calls.filter((call) => call.functionName === 'promote' && call.action === 'dynamodb:PutItem');
    expect(notes.map((call) => call.partitionKey)).toEqual([PROMOTED_BUCKETS_KEY]);
    // The sweep's own calls, which its role once lacked: it reads and defers overdue messages.
    expect(calls.filter((call) => call.functionName === 'sweep').map((call) => call.action)).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'sqs:SendMessage']),
    );
    // Its items, in both kinds of partition its role's condition allows (checked above): a tenant's
    // messages, and the notes of the buckets it looked at.
    const sweepItems = calls.filter((call) => call.functionName === 'sweep' && call.resource === 'table');
    expect(sweepItems.map((call) => `${call.action} ${call.partitionKey?.replace(/^T#.*/, 'T#…')}`)).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem T#…',
        'dynamodb:UpdateItem T#…',
        `dynamodb:GetItem ${PROMOTED_BUCKETS_KEY}`,
        `dynamodb:PutItem ${PROMOTED_BUCKETS_KEY}`,
      ]),
    );
  });

  it("recorded each index Query with the index's own partition key, of the one kind the index holds", () => {
    const keysOn = (index: IndexName) =>
      calls.filter((call) => call.resource === index).map((call) => `${call.functionName} ${call.partitionKey}`);
    // A listing's (and a bulk job's filter's) status entries, under the tenant's shards.
    expect(keysOn(INDEX.byStatus)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^listMessages T#/), expect.stringMatching(/^bulkJobs T#/)]),
    );
    for (const key of keysOn(INDEX.byStatus)) expect(key).toMatch(/^\w+ T#tnt_\w+#[a-z]+#\d+$/);
    // The sweep's pending shards and its running jobs' partition.
    expect(keysOn(INDEX.pending)).toEqual(expect.arrayContaining(['sweep P#0', 'sweep JOBS']));
    for (const key of keysOn(INDEX.pending)) expect(key).toMatch(/^sweep (P#\d+|JOBS)$/);
    // Promote's and the sweep's buckets.
    expect(keysOn(INDEX.bucket)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^promote B#/), expect.stringMatching(/^sweep B#/)]),
    );
    for (const key of keysOn(INDEX.bucket)) expect(key).toMatch(/^(promote|sweep) B#\d+#\d+$/);
  });

  it('would have refused the sweep as it was deployed before 2026-12-04', () => {
    const sweepGrants = FUNCTIONS.find((f) => f.key === 'sweep')!.grants;
    const before = statementsFor('sweep', { ...sweepGrants, table: undefined });
    const deferrals = calls.filter((call) => call.functionName === 'sweep' && call.action === 'dynamodb:UpdateItem');
    expect(deferrals.length).toBeGreaterThan(0);
    for (const call of deferrals) expect(allows(before, call, resourceOf)).toBe(false);
  });

  /** `promise`'s value, or a failure naming `what` after `ms`. */
  const settledWithin = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
    const timer = new AbortController();
    try {
      return await Promise.race([
        promise,
        sleep(ms, undefined, { signal: timer.signal }).then(() => expect.fail(`${what}: its invocation never ended`)),
      ]);
    } finally {
      timer.abort();
    }
  };

  /** The calls the meter recorded between two of its snapshots, but the pollers'. */
  const callsBetween = (before: Usage, after: Usage): AwsCall[] =>
    Object.keys(usageBetween(before, after))
      .map(parseCallCounter)
      .filter((call): call is AwsCall => call !== undefined && call.functionName !== OUTSIDE_INVOCATIONS);

  it("fails each write, send and schedule of each request and engine function once, unsent or its answer lost: every call its error path makes is in the function's role, and the answer is a problem document", async () => {
    const url = (path: string) => `${receiver.url}/${path}`;
    let made = 0;
    const unique = (what: string) => `faults-${what}-${(made += 1)}`;
    const keyed = () => ({ 'idempotency-key': unique('key') });
    const raw = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stack.dynamoEndpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    const { config } = stack.runtime;
    const partitions = new TenantPartitions(TENANT_SHARDS);
    const secret = { secret: stack.sessionSecret };
    // As IAM would on AWS: a call the role lacks fails, so what an error path leaves is what it would leave there.
    faults.refuses = (call) =>
      call.functionName !== OUTSIDE_INVOCATIONS && !allows(statementsOf(call.functionName), call, resourceOf);
    try {
      // Messages to redeliver, delivered (a redelivered one is not again until it is delivered).
      const finished = await Promise.all(
        Array.from({ length: 20 }, (_, i) => api('POST', '/v1/messages', { url: url(`finished/${i}`), delay: 1 })),
      );
      // Messages to retry now: `/flaky` fails their first attempt, and their next waits out a backoff of 15–30 s.
      const failing = await Promise.all(
        Array.from({ length: 10 }, () =>
          api('POST', '/v1/messages', { url: url(`flaky/${unique('retried')}`), delay: 1 }),
        ),
      );
      const takeRetrying = async () => {
        for (;;) {
          const next = failing.shift();
          if (!next) throw new Error('no retrying message left to retry');
          await within('the message to retry to fail its first attempt', async () =>
            ['retrying', 'delivered'].includes(await statusOf(next.id)),
          );
          if ((await statusOf(next.id)) === 'retrying') return next.id as string;
        }
      };
      const delivered: string[] = [];
      const takeDelivered = async () => {
        if (delivered.length === 0) {
          await within('the messages to redeliver to be delivered', async () =>
            (await Promise.all(finished.map((m) => statusOf(m.id)))).every((status) => status === 'delivered'),
          );
          delivered.push(...finished.map((m: { id: string }) => m.id));
        }
        const id = delivered.pop();
        if (!id) throw new Error('no delivered message left to redeliver');
        return id;
      };
      /**
       * A far-path time in a bucket of its own (a bucket is a second here): the bucket timer makes each
       * bucket's schedule once a process, so a message in a bucket made already makes no CreateSchedule.
       */
      const farAt = (minutes = 10) => new Date(Date.now() + minutes * 60_000 + (made += 1) * 1_000).toISOString();
      const scheduled = async () =>
        (await api('POST', '/v1/messages', { url: url(unique('later')), sendAt: farAt() })).id;
      const running = async (): Promise<string[]> =>
        (await api('GET', '/v1/jobs?state=running')).items.map((job: { id: string }) => job.id);
      /**
       * A bulk job the request started runs to its end before the next, so no run is refused a running
       * place. Once `faulted` (a fault fired: its first step may not be queued, its SendMessage failed, or
       * a step failed, which comes back only after its queue's visibility timeout), a job still running
       * is left to the sweep, as on AWS (resumeIdleJobs): it is made idle, and the sweep queues its step.
       */
      const jobsEnded = async (faulted?: Promise<unknown>) => {
        let fired = false;
        void faulted?.then(() => (fired = true));
        const ended = async () => (await running()).length === 0;
        await within('the bulk jobs to end, or a fault', async () => fired || (await ended()));
        const idle = await running();
        for (const id of idle) {
          await raw.send(
            new UpdateCommand({
              TableName: config.table,
              Key: { pk: `T#${stack.tenantId}`, sk: `J#${id}` },
              UpdateExpression: 'SET updatedAt = :idle, pendingAt = :idle',
              ExpressionAttributeValues: { ':idle': Date.now() - JOB_IDLE_MS - 1_000 },
            }),
          );
        }
        if (idle.length === 0) return;
        await observer.invocation('sweep', () => sweep({})).catch(() => undefined);
        await within('the bulk jobs to end', ended);
      };
      /** A bulk job route's `after`: its job ended (the sweep queues its step if the fault left it unqueued). */
      const routeJobsEnded = (_answer: unknown, faulted: boolean) => jobsEnded(faulted ? Promise.resolve() : undefined);
      const endpoint = await api('POST', '/v1/notification-endpoints', { url: url('ops'), events: ['key.created'] });
      /** Every notification endpoint but `endpoint` deleted: a tenant may have five. */
      const otherEndpointsDeleted = async () => {
        for (const { id } of (await api('GET', '/v1/notification-endpoints')).items) {
          if (id !== endpoint.id) await api('DELETE', `/v1/notification-endpoints/${id}`);
        }
      };
      /** The authorizer's records of the tenant's keys that work and that the tenant does not list: none may stay. */
      const unlistedKeys = async () => {
        const unlisted: string[] = [];
        for await (const page of paginateScan(
          { client: raw },
          {
            TableName: config.table,
            FilterExpression: 'begins_with(pk, :k) AND tenantId = :tenant AND attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':k': 'K#', ':tenant': stack.tenantId },
          },
        )) {
          for (const item of page.Items ?? []) {
            const { Item: listed } = await raw.send(
              new GetCommand({ TableName: config.table, Key: { pk: `T#${stack.tenantId}`, sk: `KEY#${item.keyId}` } }),
            );
            if (listed?.hash !== String(item.pk).slice(2)) unlisted.push(String(item.keyId));
          }
        }
        return unlisted;
      };
      type Answer = Awaited<ReturnType<typeof attempt>>;
      /** A request (or an engine function's invocation: no answer) made afresh each run, and what must hold after it. */
      /** The message of deliver's run. */
      let sending = '';
      /** The second the canary's last run ended in. */
      let canaryAt = 0;
      const runs: Array<{
        functionName: string;
        what: string;
        /** `fault`: the fault armed for this run, if any (settled when the invocation it failed ends). */
        run: (fault?: Promise<FiredFault>) => Promise<Answer | void>;
        after?: (answer: Answer | void, faulted: boolean) => Promise<void>;
        /** Which of the function's writes are this run's (all, unless other invocations of it run meanwhile). */
        matches?: (write: DynamoWrite) => boolean;
        /** Why its writes after the first are not the same each run (then a fault it never reached is no failure). */
        varies?: string;
      }> = [
        // First: its messages wait out their backoff (15–30 s) only so long.
        {
          functionName: 'retryMessage',
          what: 'POST /v1/messages/{id}/retry',
          run: async () => attempt('POST', `/v1/messages/${await takeRetrying()}/retry`, undefined, keyed()),
        },
        {
          functionName: 'createMessage',
          what: 'POST /v1/messages',
          run: () => attempt('POST', '/v1/messages', { url: url(unique('create')), sendAt: farAt() }, keyed()),
        },
        {
          functionName: 'createMessageBatch',
          what: 'POST /v1/messages/batch',
          run: () =>
            attempt(
              'POST',
              '/v1/messages/batch',
              { messages: [1, 2].map(() => ({ url: url(unique('batch')), sendAt: farAt() })) },
              keyed(),
            ),
        },
        {
          functionName: 'updateMessage',
          what: 'PATCH /v1/messages/{id}',
          run: async () => attempt('PATCH', `/v1/messages/${await scheduled()}`, { sendAt: farAt(12) }),
        },
        {
          functionName: 'cancelMessage',
          what: 'DELETE /v1/messages/{id}',
          run: async () => attempt('DELETE', `/v1/messages/${await scheduled()}`),
        },
        {
          functionName: 'cancelMessages',
          what: 'POST /v1/messages/cancel',
          run: async () => attempt('POST', '/v1/messages/cancel', { ids: [await scheduled()] }, keyed()),
          after: routeJobsEnded,
        },
        {
          functionName: 'redeliverMessages',
          what: 'POST /v1/messages/redeliver',
          run: async () => attempt('POST', '/v1/messages/redeliver', { ids: [await takeDelivered()] }, keyed()),
          after: routeJobsEnded,
        },
        {
          functionName: 'redeliverMessage',
          what: 'POST /v1/messages/{id}/redeliver',
          run: async () => attempt('POST', `/v1/messages/${await takeDelivered()}/redeliver`, undefined, keyed()),
        },
        {
          functionName: 'rotateSigningSecret',
          what: 'POST /v1/signing-secret/rotate',
          run: () => attempt('POST', '/v1/signing-secret/rotate', undefined, keyed()),
        },
        {
          functionName: 'createApiKey',
          what: 'POST /v1/keys',
          run: () => attempt('POST', '/v1/keys', { name: unique('key') }, keyed()),
          // No key that works and that nobody holds, lists or can revoke (dynamo-tenant-store.ts addApiKey).
          after: async (answer) => {
            if (answer?.status === 201) await api('DELETE', `/v1/keys/${answer.body.id}`);
            expect(await unlistedKeys()).toEqual([]);
          },
        },
        {
          functionName: 'revokeApiKey',
          what: 'DELETE /v1/keys/{id}',
          run: async () =>
            attempt('DELETE', `/v1/keys/${(await api('POST', '/v1/keys', { name: unique('revoked') })).id}`),
        },
        {
          functionName: 'createNotificationEndpoint',
          what: 'POST /v1/notification-endpoints',
          run: () =>
            attempt(
              'POST',
              '/v1/notification-endpoints',
              { url: url(unique('endpoint')), events: ['key.created'] },
              keyed(),
            ),
          after: otherEndpointsDeleted,
        },
        {
          functionName: 'deleteNotificationEndpoint',
          what: 'DELETE /v1/notification-endpoints/{id}',
          run: async () => {
            const { id } = await api('POST', '/v1/notification-endpoints', {
              url: url(unique('deleted')),
              events: ['key.created'],
            });
            return attempt('DELETE', `/v1/notification-endpoints/${id}`);
          },
          after: otherEndpointsDeleted,
        },
        {
          functionName: 'testNotificationEndpoint',
          what: 'POST /v1/notification-endpoints/{id}/test',
          run: () => attempt('POST', `/v1/notification-endpoints/${endpoint.id}/test`, undefined, keyed()),
        },
        {
          functionName: 'claimSessionTenant',
          what: "POST /v1/session/tenant (a user's first sign-in)",
          run: async () => {
            const user = unique('user');
            const token = await consoleSessionToken(
              { sub: user, userId: `dev:${user}@example.com`, email: `${user}@example.com` },
              secret,
            );
            return attempt('POST', '/v1/session/tenant', {}, { authorization: `Bearer ${token}` });
          },
        },
        {
          functionName: 'revokeSession',
          what: 'POST /v1/session/revoke',
          run: async () => {
            const token = await consoleSessionToken({ tenantId: stack.tenantId }, secret);
            return attempt('POST', '/v1/session/revoke', {}, { authorization: `Bearer ${token}` });
          },
        },
        {
          functionName: 'authorizer',
          what: "the authorizer, a key's first use (its lastUsedAt)",
          run: async () => {
            const { id, key } = await api('POST', '/v1/keys', { name: unique('used') });
            const answer = await attempt('GET', '/v1/usage', undefined, { authorization: `Bearer ${key}` });
            await api('DELETE', `/v1/keys/${id}`);
            return answer;
          },
        },
        {
          functionName: 'bulkJobs',
          what: 'bulkJobs, a cancel by ids run to its end',
          run: async (fault) => {
            await api('POST', '/v1/messages/cancel', { ids: [await scheduled()] }, keyed());
            await jobsEnded(fault);
          },
        },
        {
          functionName: 'metering',
          what: 'metering, a fold of usage events',
          varies: "a fold takes what the metering queue holds then: other requests' usage events too",
          run: async (fault) => {
            const folds = () => meter.snapshot()['lambda.metering.invocations'] ?? 0;
            const before = folds();
            let faulted = false;
            void fault?.then(() => (faulted = true));
            await api('POST', '/v1/messages', { url: url(unique('metered')), sendAt: farAt() });
            await within('a fold of its usage', async () => faulted || folds() > before);
          },
        },
        {
          functionName: 'deliver',
          what: 'deliver, a message sent',
          // Other deliveries run meanwhile (notifications, redeliveries): this run's message's writes only.
          matches: (write) => write.keys.some((key) => key.sk.includes(sending)),
          run: async (fault) => {
            // Due in 2 s: its ticket reaches a worker (the arm lead, 1 s, early) after `sending` names it.
            const sendAt = new Date(Date.now() + 2_000).toISOString();
            sending = (await api('POST', '/v1/messages', { url: url(unique('sent')), sendAt })).id;
            let faulted = false;
            void fault?.then(() => (faulted = true));
            // Sent, or the invocation the fault failed has ended (its ticket comes back after the queue's visibility timeout).
            await within('the message sent, or its faulted delivery ended', async () => {
              if (faulted) return true;
              return (await statusOf(sending)) === 'delivered';
            });
          },
        },
        {
          functionName: 'promote',
          what: "promote, a far message's bucket",
          run: async () => {
            // A bucket of its own each run: a promoted one is noted, and promoted once.
            const { id } = await api('POST', '/v1/messages', { url: url(unique('promoted')), sendAt: farAt() });
            const { Item } = await raw.send(
              new GetCommand({
                TableName: config.table,
                Key: { pk: partitions.messagePk(stack.tenantId, id), sk: `M#${id}` },
              }),
            );
            const bucketAt = Number(Item?.bucketAt);
            await observer.invocation('promote', () => promote({ bucketAt })).catch(() => undefined);
          },
        },
        {
          functionName: 'canary',
          what: 'the canary',
          run: async () => {
            // Its far probe in a bucket not made yet (a second of its own), so each run makes its timer.
            if (Math.floor(Date.now() / 1_000) <= canaryAt) await sleep(1_000 - (Date.now() % 1_000));
            await observer.invocation('canary', () => canary()).catch(() => undefined);
            canaryAt = Math.floor(Date.now() / 1_000);
          },
        },
        {
          functionName: 'sweep',
          what: 'the sweep, an overdue message',
          varies: "besides the message's deferral, it notes the buckets it finds promoted, once each",
          run: async () => {
            const id = await scheduled();
            await raw.send(
              new UpdateCommand({
                TableName: config.table,
                Key: { pk: partitions.messagePk(stack.tenantId, id), sk: `M#${id}` },
                UpdateExpression: 'SET pendingAt = :past, dueAt = :past',
                ExpressionAttributeValues: { ':past': Date.now() - 3_600_000 },
              }),
            );
            await observer.invocation('sweep', () => sweep({})).catch(() => undefined);
          },
        },
      ];

      const refused: string[] = [];
      const unfired: string[] = [];
      const crashed: string[] = [];
      const inconsistent: string[] = [];
      let fired = 0;
      const faultedCalls: AwsCall[] = [];
      for (const { functionName, what, run, after, varies, matches = () => true } of runs) {
        const ours = (write: DynamoWrite) => write.functionName === functionName && matches(write);
        const counted = await faults
          .writesOf(run)
          .then(async (counted) => (await after?.(counted.result, false), counted))
          .catch((error: Error) => error);
        // Left unable to run by an earlier fault's refused call (a bulk job left running): told, and not faulted.
        if (counted instanceof Error) {
          inconsistent.push(`${what}: ${counted.message}`);
          continue;
        }
        const writes = counted.writes.filter(ours).length;
        expect(writes, `${what} makes a write`).toBeGreaterThan(0);
        faulting: for (let nth = 1; nth <= writes; nth += 1) {
          for (const kind of ['refused', 'lost'] satisfies FaultKind[]) {
            const before = meter.snapshot();
            const fault = faults.arm(kind, ours, nth);
            // A run that cannot end (a bulk job left running by a refused call) is told, and its function's faults end.
            const answer = await run(fault).catch((error: Error) => error);
            faults.disarm();
            const label = `${what}, write ${nth} of ${writes} ${kind}`;
            if (answer instanceof Error) {
              inconsistent.push(`${label}: ${answer.message}`);
              for (const call of callsBetween(before, meter.snapshot())) {
                if (!allows(statementsOf(call.functionName), call, resourceOf)) {
                  refused.push(
                    `${label}: ${call.functionName} ${call.action} ${call.resource} ${call.partitionKey ?? ''}`,
                  );
                }
              }
              break faulting;
            }
            // A request's invocation has ended by its answer, but deliver's may still run (its write landed).
            const outcome = faults.hasFired() ? await settledWithin(fault, 20_000, label) : undefined;
            if (!outcome) {
              if (!varies || nth === 1) unfired.push(label);
              continue;
            }
            fired += 1;
            const faulted = `${label} (${describeWrite(outcome)})`;
            if (answer && answer.status >= 500) {
              // A problem document that says so, never a crash.
              if (answer.type !== 'application/problem+json' || answer.body.status !== answer.status) {
                crashed.push(`${faulted}: ${answer.status} ${answer.type} ${answer.text}`);
              }
            }
            // What the path promises it leaves (as IAM would have let it on AWS).
            await after?.(answer, true).catch((error: Error) => inconsistent.push(`${faulted}: ${error.message}`));
            for (const call of callsBetween(before, meter.snapshot())) {
              faultedCalls.push(call);
              if (!allows(statementsOf(call.functionName), call, resourceOf)) {
                refused.push(
                  `${faulted}: ${call.functionName} ${call.action} ${call.resource} ${call.partitionKey ?? ''}`,
                );
              }
            }
          }
        }
      }
      expect({ refused, crashed, inconsistent, unfired }).toEqual({
        refused: [],
        crashed: [],
        inconsistent: [],
        unfired: [],
      });
      expect(fired).toBeGreaterThan(runs.length * 2);
      // Each statement only an error path needs is used by one: none is wider than its calls.
      for (const { key, grants } of FUNCTIONS) {
        for (const { table: actions, tableKeys } of grants.narrowerItems ?? []) {
          for (const action of actions) {
            for (const pattern of tableKeys) {
              expect(
                faultedCalls.some(
                  (call) =>
                    call.functionName === key &&
                    call.action === action &&
                    call.resource === 'table' &&
                    stringLike(pattern, call.partitionKey ?? ''),
                ),
                `${key}: no ${action} under ${pattern}`,
              ).toBe(true);
            }
          }
        }
      }
    } finally {
      faults.refuses = undefined;
      raw.destroy();
    }
  }, 120_000);
});
