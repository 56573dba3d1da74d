/**
 * Bulk cancel and redeliver against the local stack: the real routes and authorizer behind the
 * gateway, the job worker behind its SQS poller (fauxqs), the store on dynalite, deliveries to a
 * real receiver. Every response is checked against openapi.yaml.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_BULK_IDS, MAX_RUNNING_JOBS, newJobId, PLANS, provisionTenant } from '@vigil/core';
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, seedMonthlyScheduled, startTestStack, waitFor } from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';

let stack: LocalStack;
let receiver: Receiver;
let db: DynamoDBDocumentClient;
type Api = ReturnType<typeof apiClient>;

beforeAll(async () => {
  // /gone answers 410: the message ends failed after one attempt. On a thread of its own, so a
  // starved stack does not make its answers late (a timeout, sent again) and the counts off.
  receiver = await startReceiverThread({ respond: ({ path }) => (path.startsWith('/gone') ? 410 : 200) });
  stack = await startTestStack({ env: { VIGIL_ALLOW_PRIVATE_TARGETS: 'true' } });
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.runtime.config.endpoints.dynamodb,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
}, 300_000);

afterAll(async () => {
  db?.destroy();
  await stack?.stop();
  await receiver?.stop();
});

/** A tenant of its own per test (its jobs, running places and quota apart from the others'). */
const newTenant = async (plan: 'free' | 'pro' = 'pro') => {
  const { tenant, apiKey } = await provisionTenant(stack.tenantAdmin.tenancy, { name: `bulk-${plan}`, plan });
  return { api: apiClient(stack.url, apiKey), tenantId: tenant.id };
};

/** `count` messages in batches of 100, each as `message` says. */
const createMany = async (api: Api, count: number, message: Record<string, unknown>): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 100) {
    const messages = Array.from({ length: Math.min(100, count - i) }, () => message);
    const created = await api.post('/v1/messages/batch', { messages });
    expect(created.status).toBe(201);
    ids.push(...created.json.items.map((m: { id: string }) => m.id));
  }
  return ids;
};

/** Polls the job until it is no longer running. */
const finished = (api: Api, jobId: string) =>
  waitFor(
    async () => (await api.get(`/v1/jobs/${jobId}`)).json,
    (job) => job.state !== 'running',
    300_000,
  );

const statusesOf = async (api: Api, ids: readonly string[]) =>
  Promise.all(ids.map(async (id) => (await api.get(`/v1/messages/${id}`)).json.status as string));

/**
 * The messages of a tenant with at most 100, by id, in one request: a free tenant may make 10
 * requests a second (burst 20), so a poll of ten separate reads every 100 ms would be refused
 * after its second round and never see them all.
 */
const listedById = async (api: Api) =>
  new Map(
    (
      (await api.get('/v1/messages?limit=100')).json.items as Array<{ id: string; status: string; attempts: number }>
    ).map((m) => [m.id, m]),
  );

type ListedAttempt = { n: number; statusCode?: number; errorKind?: string };

/** Each message's attempts, as the API lists them. */
/**
 * Each of `ids`' attempts, read one message at a time and waiting out a 429 as a client would: read
 * all at once beside a poll of their statuses, they passed the tenant's burst and were refused.
 */
const attemptsOf = async (api: Api, ids: readonly string[]): Promise<ListedAttempt[][]> => {
  const listed: ListedAttempt[][] = [];
  for (const id of ids) {
    for (;;) {
      const answer = await api.get(`/v1/messages/${id}/attempts`);
      if (answer.status === 429) {
        await new Promise((r) => setTimeout(r, Number(answer.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      expect(answer.status).toBe(200);
      listed.push(answer.json.items as ListedAttempt[]);
      break;
    }
  }
  return listed;
};

/**
 * Checks the receiver's arrivals on `path` against the attempts the API lists for `ids`: each
 * arrival is a listed attempt (its `webhook-id` and `vigil-attempt`), none arrived twice, and each
 * attempt answered 410 arrived. A message arrives more than once only as a later attempt after one
 * listed as a timeout: a stall of this process (a loaded machine) past the 10 s timeout holds up the
 * in-process receiver's answer too, and the retry goes out, as promised (README's at-least-once).
 * Returns how many attempts were answered 410.
 */
const arrivalsAsListed = async (api: Api, ids: readonly string[], path: string): Promise<number> => {
  const listed = await attemptsOf(api, ids);
  const arrived = receiver.received
    .filter((r) => r.path.startsWith(path))
    .map((r) => `${r.headers['webhook-id']}#${r.headers['vigil-attempt']}`);
  expect(new Set(arrived).size).toBe(arrived.length);
  const keys = ids.flatMap((id, i) => (listed[i] ?? []).map((a) => `${id}#${a.n}`));
  expect(arrived.filter((key) => !keys.includes(key))).toEqual([]);
  const answered = ids.flatMap((id, i) =>
    (listed[i] ?? []).filter((a) => a.statusCode === 410).map((a) => `${id}#${a.n}`),
  );
  expect(answered.filter((key) => !arrived.includes(key))).toEqual([]);
  const others = listed.flat().filter((a) => a.statusCode !== 410);
  expect(others.filter((a) => a.errorKind !== 'timeout')).toEqual([]);
  return answered.length;
};

/** Waits until each of `ids` has `rounds` attempts answered 410 (and ended failed). */
const goneTimes = (api: Api, ids: readonly string[], rounds: number) =>
  waitFor(
    async () => ({ statuses: await statusesOf(api, ids), listed: await attemptsOf(api, ids) }),
    ({ statuses, listed }) =>
      statuses.every((x) => x === 'failed') &&
      listed.every((attempts) => attempts.filter((a) => a.statusCode === 410).length === rounds),
    120_000,
  );

const storedJobs = async (tenantId: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: stack.runtime.config.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :jobs)',
        ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':jobs': 'J#' },
      }),
    )
  ).Items ?? [];

describe(`a bulk cancel over ${MAX_BULK_IDS} messages`, () => {
  it('cancels them all by filter, page by page, and a second run by their ids skips them all', async () => {
    const { api } = await newTenant();
    const ids = await createMany(api, MAX_BULK_IDS, { url: 'https://example.com/hook', delay: 86_400 });

    const started = await api.post('/v1/messages/cancel', { filter: { status: ['scheduled'] } });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/jobs/${started.json.id}`);
    expect(started.json).toMatchObject({
      action: 'cancel',
      state: 'running',
      selection: { filter: { status: ['scheduled'] } },
    });
    const first = await finished(api, started.json.id);
    expect(first).toMatchObject({
      state: 'done',
      total: MAX_BULK_IDS,
      counts: { done: MAX_BULK_IDS, skipped: 0, failed: 0 },
    });
    expect(first.finishedAt).not.toBeNull();
    expect(new Set(await statusesOf(api, ids.slice(0, 50)))).toEqual(new Set(['cancelled']));
    expect((await api.get('/v1/messages?status=scheduled')).json.items).toEqual([]);

    const again = await api.post('/v1/messages/cancel', { ids });
    expect(again.status).toBe(202);
    expect(again.json.total).toBe(MAX_BULK_IDS);
    const second = await finished(api, again.json.id);
    expect(second).toMatchObject({ state: 'done', counts: { done: 0, skipped: MAX_BULK_IDS, failed: 0 } });
  }, 600_000);
});

describe('a bulk redeliver of the messages failed since an instant', () => {
  it('redelivers those failed since then, counts each as a send, and a second run those failed again', async () => {
    const { api } = await newTenant();
    const older = await createMany(api, 3, { url: `${receiver.url}/gone-old`, delay: 0 });
    await goneTimes(api, older, 1);
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date().toISOString();
    const recent = await createMany(api, 30, { url: `${receiver.url}/gone-recent`, delay: 0 });
    await goneTimes(api, recent, 1);
    expect(await arrivalsAsListed(api, recent, '/gone-recent')).toBe(30);

    const listed = await api.get(`/v1/messages?status=failed&updatedSince=${encodeURIComponent(since)}&limit=100`);
    expect(listed.json.items.map((m: { id: string }) => m.id).sort()).toEqual([...recent].sort());

    const filter = { status: ['failed'], updatedSince: since };
    const started = await api.post('/v1/messages/redeliver', { filter });
    expect(started.status).toBe(202);
    const first = await finished(api, started.json.id);
    expect(first).toMatchObject({ state: 'done', total: 30, counts: { done: 30, skipped: 0, failed: 0 } });
    // Delivered again (and gone again: failed once more), the older ones left alone.
    await goneTimes(api, recent, 2);
    expect(await arrivalsAsListed(api, recent, '/gone-recent')).toBe(60);
    expect(await arrivalsAsListed(api, older, '/gone-old')).toBe(3);
    await stack.foldUsage();
    const today = (await api.get('/v1/usage')).json.days.at(-1);
    expect(today.scheduled).toBe(3 + 30 + 30);

    // The same selection again, after the first finished: each message failed again since is sent again.
    const rerun = await api.post('/v1/messages/redeliver', { filter });
    const second = await finished(api, rerun.json.id);
    expect(second).toMatchObject({ state: 'done', total: 30, counts: { done: 30, skipped: 0, failed: 0 } });
    await goneTimes(api, recent, 3);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await arrivalsAsListed(api, recent, '/gone-recent')).toBe(90);
  }, 300_000);

  it('stops at the monthly quota, failed with quota-exceeded, having redelivered what the quota allowed', async () => {
    const { api, tenantId } = await newTenant('free');
    const ids = await createMany(api, 10, { url: `${receiver.url}/gone-quota`, delay: 0 });
    // Setting the scene, not a timing claim: a loaded machine may take longer than the default 20 s.
    await waitFor(
      async () => {
        const listed = await listedById(api);
        return ids.map((id) => listed.get(id)?.status);
      },
      (s) => s.every((x) => x === 'failed'),
      90_000,
    );
    await stack.foldUsage();
    // This month's counters show the plan's allowance less 4.
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages - 10 - 4);
    // The quota guard reads the counters at most every 5 s.
    await new Promise((r) => setTimeout(r, 5_200));
    const started = await api.post('/v1/messages/redeliver', { filter: { status: ['failed'] } });
    const job = await finished(api, started.json.id);
    expect(job).toMatchObject({
      state: 'failed',
      counts: { done: 4, failed: 0 },
      stopReason: { code: 'quota-exceeded' },
    });
    expect(job.stopReason.detail).toMatch(/quota of 10000 messages is used up/);
    // Four sent again (each gone again), the other six left as they were.
    const arrivals = () => receiver.received.filter((r) => r.path.startsWith('/gone-quota')).length;
    const attempts = async () => {
      const listed = await listedById(api);
      return ids.map((id) => listed.get(id)?.attempts ?? 0);
    };
    // (An attempt is recorded just after it is sent.)
    const recorded = await waitFor(attempts, (counts) => counts.filter((n) => n === 2).length === 4, 120_000);
    expect(recorded.filter((n) => n === 1)).toHaveLength(6);
    expect(arrivals()).toBe(14);
  }, 300_000);
});

describe('starting bulk jobs', () => {
  it('answers a repeated Idempotency-Key with the job it started (200), and a different request with it 422', async () => {
    const { api, tenantId } = await newTenant();
    const ids = await createMany(api, 5, { url: 'https://example.com/hook', delay: 86_400 });
    const headers = { 'idempotency-key': 'bulk-cancel-1' };
    const first = await api.post('/v1/messages/cancel', { ids }, headers);
    expect(first.status).toBe(202);
    const replay = await api.post('/v1/messages/cancel', { ids }, headers);
    expect(replay.status).toBe(200);
    expect(replay.json.id).toBe(first.json.id);
    const other = await api.post('/v1/messages/cancel', { ids: ids.slice(1) }, headers);
    expect(other.status).toBe(422);
    expect(other.json.type).toBe('https://vigil.dev/problems/idempotency-key-reused');
    expect(await storedJobs(tenantId)).toHaveLength(1);
    expect(await finished(api, first.json.id)).toMatchObject({ counts: { done: 5 } });
  }, 180_000);

  it(`refuses a job beyond ${MAX_RUNNING_JOBS} running with 429 too-many-jobs, storing nothing`, async () => {
    const { api, tenantId } = await newTenant();
    const [id] = await createMany(api, 1, { url: 'https://example.com/hook', delay: 86_400 });
    // Three jobs have just taken their places (still being written by their starters).
    const now = Date.now();
    await db.send(
      new PutCommand({
        TableName: stack.runtime.config.table,
        Item: {
          pk: `T#${tenantId}`,
          sk: 'JOBS#RUNNING',
          jobs: {
            job_01JAAAAAAAAAAAAAAAAAAAAAAA: now,
            job_01JBBBBBBBBBBBBBBBBBBBBBBB: now,
            job_01JCCCCCCCCCCCCCCCCCCCCCCC: now,
          },
          version: 1,
        },
      }),
    );
    const refused = await api.post('/v1/messages/cancel', { ids: [id] });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json.type).toBe('https://vigil.dev/problems/too-many-jobs');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await storedJobs(tenantId)).toEqual([]);
  }, 180_000);

  it('refuses bad selections with a 422 naming the field, and stores nothing', async () => {
    const { api, tenantId } = await newTenant();
    const id = (n: number) => `msg_01J${String(n).padStart(23, '0')}`;
    const cases: Array<[string, unknown, string]> = [
      ['/v1/messages/cancel', { ids: Array.from({ length: MAX_BULK_IDS + 1 }, (_, i) => id(i)) }, 'ids'],
      ['/v1/messages/cancel', { ids: [id(1)], filter: { status: 'scheduled' } }, ''],
      ['/v1/messages/redeliver', { filter: { status: ['lost'] } }, 'filter.status.0'],
      ['/v1/messages/redeliver', { filter: { status: ['queued'] } }, 'filter.status'],
      ['/v1/messages/cancel', { filter: { status: ['queued', 'failed'] } }, 'filter.status'],
      ['/v1/messages/cancel', { filter: {} }, 'filter.status'],
      ['/v1/messages/cancel', { filter: { status: ['queued'], updatedSince: 'yesterday' } }, 'filter.updatedSince'],
    ];
    for (const [path, body, field] of cases) {
      const refused = await api.post(path, body);
      expect(refused.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(refused.json.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect((await api.get('/v1/jobs/job_01JNOSUCHJOB00000000000000')).status).toBe(404);
    expect((await api.get('/v1/jobs/nope')).status).toBe(404);
    expect(await storedJobs(tenantId)).toEqual([]);
  }, 180_000);

  it("keeps one tenant's job from another (404)", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const [id] = await createMany(a.api, 1, { url: 'https://example.com/hook', delay: 86_400 });
    const started = await a.api.post('/v1/messages/cancel', { ids: [id] });
    expect((await b.api.get(`/v1/jobs/${started.json.id}`)).status).toBe(404);
    // b cannot cancel a's message either: for b it does not exist.
    const byB = await finished(b.api, (await b.api.post('/v1/messages/cancel', { ids: [id] })).json.id);
    expect(byB).toMatchObject({ counts: { done: 0, skipped: 1 } });
  }, 180_000);
});

describe('listing bulk jobs (GET /v1/jobs)', () => {
  it("lists the tenant's unexpired jobs newest first, page by page and by state, and no other tenant's", async () => {
    const { api, tenantId } = await newTenant();
    const ids = await createMany(api, 3, { url: 'https://example.com/hook', delay: 86_400 });
    const started: string[] = [];
    for (const id of ids) {
      const job = (await api.post('/v1/messages/cancel', { ids: [id] })).json;
      await finished(api, job.id);
      started.unshift(job.id);
    }
    // A job that failed (stored as the sweep would give it up), and one finished 8 days ago, expired
    // though TTL has not deleted it yet: newest and oldest of all.
    const [stored] = await storedJobs(tenantId);
    const forged = (id: string, over: Record<string, unknown>) =>
      db.send(
        new PutCommand({ TableName: stack.runtime.config.table, Item: { ...stored, id, sk: `J#${id}`, ...over } }),
      );
    const failedId = newJobId(Date.now() + 1_000);
    await forged(failedId, { state: 'failed', stopReason: { code: 'stalled', detail: 'given up' } });
    const expiredId = newJobId(Date.now() - 8 * 86_400_000);
    await forged(expiredId, {
      expiresAtMs: Date.now() - 86_400_000,
      expiresAt: Math.floor(Date.now() / 1000) - 86_400,
    });

    const all = await api.get('/v1/jobs');
    expect(all.status).toBe(200);
    expect(all.json.items.map((j: { id: string }) => j.id)).toEqual([failedId, ...started]);
    expect(all.json.nextCursor).toBeNull();
    expect(all.json.items[1]).toMatchObject({ action: 'cancel', state: 'done', selection: { ids: 1 }, total: 1 });

    const first = await api.get('/v1/jobs?limit=2');
    expect(first.json.items.map((j: { id: string }) => j.id)).toEqual([failedId, started[0]]);
    const second = await api.get(`/v1/jobs?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.items.map((j: { id: string }) => j.id)).toEqual(started.slice(1));
    expect(second.json.nextCursor).toBeNull();

    expect((await api.get('/v1/jobs?state=failed')).json.items.map((j: { id: string }) => j.id)).toEqual([failedId]);
    const doneOrRunning = await api.get('/v1/jobs?state=running,done&limit=2');
    expect(doneOrRunning.json.items.map((j: { id: string }) => j.id)).toEqual(started.slice(0, 2));
    const rest = await api.get(`/v1/jobs?state=running,done&limit=2&cursor=${doneOrRunning.json.nextCursor}`);
    expect(rest.json.items.map((j: { id: string }) => j.id)).toEqual(started.slice(2));

    const other = await newTenant();
    expect((await other.api.get('/v1/jobs')).json).toEqual({ items: [], nextCursor: null });
  }, 180_000);

  it('refuses a bad state, limit or cursor with a 422 naming the parameter', async () => {
    const { api } = await newTenant();
    const messagesCursor = Buffer.from(JSON.stringify({ n: 'msg_01J00000000000000000000000' })).toString('base64url');
    for (const [query, field] of [
      ['state=lost', 'query.state.0'],
      ['limit=0', 'query.limit'],
      ['limit=101', 'query.limit'],
      ['cursor=nope', 'query.cursor'],
      [`cursor=${messagesCursor}`, 'query.cursor'],
      ['status=done', 'query.status'],
    ]) {
      const refused = await api.get(`/v1/jobs?${query}`);
      expect(refused.status, query).toBe(422);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(
        refused.json.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(field);
    }
  }, 60_000);
});
