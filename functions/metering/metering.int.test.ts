/**
 * Metering end to end in the local stack: usage events from the API and the engine reach the
 * usage journal (the local stack's durable metering path), which is folded into daily counters
 * that GET /v1/usage serves; a redelivered event counts once; tenants are metered apart; the
 * quota is enforced. The deployed path (the SQS meter, the metering queue and this function) is
 * run here too, on the stack's SQS emulator.
 */
import { readFile, stat } from 'node:fs/promises';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { journalPaths } from '@vigil/local/usage-journal';
import { startSqsPoller } from '@vigil/local/sqs-poller';
import type { Context } from 'aws-lambda';
import { attemptUsage, changePlan, MAX_MESSAGE_BYTES, PLANS, scheduledUsage, usageDate, usageEvent } from '@vigil/core';
import { SqsUsageMeter } from '@vigil/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as foldUsage } from './fold-usage';
import type { apiClient } from '../../test-support/local-stack';
import { newTenantApi, seedMonthlyScheduled, startTestStack } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';

let stack: LocalStack;
let receiver: Receiver;

const respond = ({ path, count }: { path: string; count: number }) =>
  path.startsWith('/flaky') && count % 2 === 0 ? 500 : 200;

beforeAll(async () => {
  receiver = await startReceiver({ respond });
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const newTenant = (plan: 'free' | 'pro') => newTenantApi(stack, plan);

const waitForUsage = async (api: ReturnType<typeof apiClient>, done: (today: Record<string, number>) => boolean) => {
  const until = Date.now() + 15_000;
  for (;;) {
    const { json } = await api.get('/v1/usage');
    const today = json.days.find((d: { date: string }) => d.date === usageDate(Date.now())) ?? {};
    if (done(today)) return json;
    if (Date.now() > until) throw new Error(`usage never settled: ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('metering', () => {
  it('counts what was scheduled, delivered and attempted, retries included, and keeps tenants apart', async () => {
    const a = await newTenant('pro');
    const b = await newTenant('pro');
    // Five messages; each /flaky one fails its first attempt (500) and is delivered on the second.
    const paths = ['/ok/1', '/ok/2', '/ok/3', '/flaky/1', '/flaky/2'];
    await a.api.post('/v1/messages/batch', { messages: paths.map((p) => ({ url: `${receiver.url}${p}`, delay: 0 })) });
    const usage = await waitForUsage(a.api, (t) => t.delivered === 5 && t.attempts === 7);
    assertMatchesSchema('UsageOut', usage);
    expect(usage.days.at(-1)).toMatchObject({ scheduled: 5, delivered: 5, failed: 0, attempts: 7 });
    expect(usage.monthToDate).toMatchObject({ scheduled: 5, delivered: 5, attempts: 7 });
    expect(usage.plan).toEqual({ name: 'pro', ...PLANS.pro });
    expect((await b.api.get('/v1/usage')).json.days).toEqual([]);
    // The range's rules hold with its defaults: a from ahead of today (UTC) reads that day, a from
    // decades back is a 422, neither a 500.
    const tomorrow = usageDate(Date.now() + 86_400_000);
    expect((await a.api.get(`/v1/usage?from=${tomorrow}`)).json).toMatchObject({
      from: tomorrow,
      to: tomorrow,
      days: [],
    });
    const refused = await a.api.get('/v1/usage?from=2000-01-01');
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: 'query.from', message: expect.stringMatching(/at most 366 days/) }]);
    // Every journaled event was folded: the folder's offset is at the journal's end.
    const journal = journalPaths(stack.dataDir);
    await stack.foldUsage();
    expect(Number(await readFile(journal.offset, 'utf8'))).toBe((await stat(journal.journal)).size);
  });

  it('folds what the deployed metering queue carries: the SQS meter, the queue and the metering function', async () => {
    const { tenantId, api } = await newTenant('free');
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: stack.runtime.config.endpoints.sqs,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `metering-${tenantId}` }));
    const queueUrl = QueueUrl as string;
    const poller = startSqsPoller({
      sqs,
      queueUrl,
      queueArn: `arn:aws:sqs:us-east-1:000000000000:metering-${tenantId}`,
      handler: (event) => foldUsage(event, { callbackWaitsForEmptyEventLoop: false } as Context),
      log: stack.runtime.log,
      loops: 1,
    });
    const meter = new SqsUsageMeter(sqs, queueUrl, stack.runtime.log, { gatherMs: 10 });
    const message = { id: 'msg_sqs', tenantId, createdAt: Date.now(), dueAt: Date.now() };
    // 25 events in three calls, the attempt sent twice (a re-sent attempt after a crash).
    await Promise.all([
      meter.record([scheduledUsage(message), attemptUsage(message, 1)]),
      meter.record([attemptUsage(message, 1), attemptUsage(message, 2)]),
      meter.record(Array.from({ length: 21 }, (_, i) => attemptUsage(message, i + 3))),
    ]);
    const usage = await waitForUsage(api, (t) => t.attempts === 23);
    expect(usage.days.at(-1)).toMatchObject({ scheduled: 1, attempts: 23 });
    await poller.stop();
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    sqs.destroy();
    // Every usage event was acknowledged once folded: nothing waits to come back from the queue.
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('says which usage events it could not send, and how many, when the metering queue refuses them', async () => {
    // Arrange: a meter whose queue is gone (SQS answers every send QueueDoesNotExist).
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: stack.runtime.config.endpoints.sqs,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const errors: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
    const log = {
      ...stack.runtime.log,
      error: (message: string, fields?: Record<string, unknown>) => errors.push({ message, fields }),
    };
    const lost: number[] = [];
    const meter = new SqsUsageMeter(sqs, `${stack.runtime.config.endpoints.sqs}/000000000000/gone`, log, {
      onLost: (count) => lost.push(count),
    });
    const message = { id: 'msg_lost', tenantId: 'tnt_lost', createdAt: Date.now(), dueAt: Date.now() };

    // Act: the caller goes on (metering never fails what it describes).
    await meter.record([scheduledUsage(message), attemptUsage(message, 1)]);
    sqs.destroy();

    // Assert: logged with the events' ids, and counted for the UsageEventsLost metric (its alarm pages).
    expect(lost).toEqual([2]);
    expect(errors).toEqual([
      {
        message: 'usage events not recorded',
        fields: expect.objectContaining({ count: 2, ids: [scheduledUsage(message).id, attemptUsage(message, 1).id] }),
      },
    ]);
  });

  it('counts an event once however often it is folded (a redelivered SQS batch)', async () => {
    const { tenantId, api } = await newTenant('free');
    const event = usageEvent(tenantId, 'scheduled', Date.now());
    expect(await stack.runtime.usage.fold([event, event])).toEqual({ counted: 1, duplicates: 1 });
    expect(await stack.runtime.usage.fold([event])).toEqual({ counted: 0, duplicates: 1 });
    // A batch folded together, then redelivered mixed with a new event: only the new one counts.
    const batch = Array.from({ length: 40 }, () => usageEvent(tenantId, 'attempt', Date.now()));
    expect(await stack.runtime.usage.fold(batch)).toEqual({ counted: 40, duplicates: 0 });
    const fresh = usageEvent(tenantId, 'delivered', Date.now());
    expect(await stack.runtime.usage.fold([...batch.slice(0, 5), fresh])).toEqual({ counted: 1, duplicates: 5 });
    expect((await api.get('/v1/usage')).json.days.at(-1)).toMatchObject({ scheduled: 1, attempts: 40, delivered: 1 });
  });

  it('refuses new messages beyond the monthly quota with 429 quota-exceeded, batches counted per message', async () => {
    const { tenantId, api } = await newTenant('free');
    // This month's counters already show the plan's allowance less two.
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages - 2);
    const message = { url: `${receiver.url}/quota`, delay: 600 };
    const batch = await api.post('/v1/messages/batch', { messages: [message, message, message] });
    expect(batch.status).toBe(429);
    expect(batch.json.type).toBe('https://vigil.dev/problems/quota-exceeded');
    expect((await api.post('/v1/messages', message)).status).toBe(201);
    expect((await api.post('/v1/messages', message)).status).toBe(201);
    const over = await api.post('/v1/messages', message);
    expect(over.status).toBe(429);
    assertMatchesSchema('Problem', over.json);
    // The quota's state rides along: the plan's allowance, nothing left, renewed at next month's start.
    const now = new Date();
    const toNextMonth = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000;
    expect(over.headers.get('ratelimit-limit')).toBe(String(PLANS.free.monthlyMessages));
    expect(over.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(over.headers.get('ratelimit-reset'))).toBeCloseTo(toNextMonth, -1);
    expect(over.headers.get('retry-after')).toBe(over.headers.get('ratelimit-reset'));
    // The refused batch of three said that two were left.
    expect(batch.headers.get('ratelimit-remaining')).toBe('2');
  });

  it("accepts exactly one of creates sent at once for the month's last message; refused requests count nothing", async () => {
    // Prepare: a free tenant with one message of its month left
    const { tenantId, api } = await newTenant('free');
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages - 1);
    const message = { url: `${receiver.url}/last-one`, delay: 600 };

    // Act: a 422, a 413 and a batch over the quota first, then six creates at once
    const invalid = await api.post('/v1/messages', { ...message, delay: -5 });
    const tooLarge = await api.post('/v1/messages', { ...message, body: 'x'.repeat(MAX_MESSAGE_BYTES) });
    const batch = await api.post('/v1/messages/batch', { messages: [message, message] });
    const creates = await Promise.all(Array.from({ length: 6 }, () => api.post('/v1/messages', message)));

    // Assess: the refusals took nothing; one create got the last message, the others 429, none stored
    expect([invalid.status, tooLarge.status, batch.status]).toEqual([422, 413, 429]);
    expect(creates.map((c) => c.status).sort()).toEqual([201, 429, 429, 429, 429, 429]);
    for (const refused of creates.filter((c) => c.status === 429)) {
      expect(refused.json.type).toBe('https://vigil.dev/problems/quota-exceeded');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    }
    const listed = await api.get('/v1/messages?limit=100');
    expect(listed.json.items.map((m: { id: string }) => m.id)).toEqual([
      creates.find((c) => c.status === 201)?.json.id,
    ]);
    const usage = await waitForUsage(api, (t) => t.scheduled === PLANS.free.monthlyMessages);
    expect(usage.monthToDate.scheduled).toBe(PLANS.free.monthlyMessages);
  });

  it("applies a plan change to the month's count so far, from the next create, up and back down", async () => {
    // Prepare: a free tenant whose month is used up
    const { tenantId, api } = await newTenant('free');
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages);
    const message = { url: `${receiver.url}/plan-change`, delay: 600 };
    expect((await api.post('/v1/messages', message)).status).toBe(429);
    const tenancy = stack.runtime.tenancy;
    const tenant = async () => (await tenancy.tenants.getTenant(tenantId))!;

    // Act and assess: on pro the month's 10,000 count against pro's million, and a create is taken
    await changePlan(tenancy, await tenant(), 'pro');
    const onPro = await api.post('/v1/messages', message);
    expect(onPro.status).toBe(201);
    const usage = await waitForUsage(api, (t) => t.scheduled === PLANS.free.monthlyMessages + 1);
    expect(usage.plan).toMatchObject({ name: 'pro', monthlyMessages: PLANS.pro.monthlyMessages });
    expect(usage.monthToDate.scheduled).toBe(PLANS.free.monthlyMessages + 1);

    // Back on free, the month's 10,001 are over its 10,000: refused until the month renews
    await changePlan(tenancy, await tenant(), 'free');
    const backOnFree = await api.post('/v1/messages', message);
    expect(backOnFree.status).toBe(429);
    expect(backOnFree.json.detail).toMatch(/quota of 10000 messages is used up \(10001 scheduled\)/);
    expect(backOnFree.headers.get('ratelimit-limit')).toBe(String(PLANS.free.monthlyMessages));
  });

  it('reads a range across months and a year end day by day, each event on its UTC day', async () => {
    // Prepare: messages scheduled at the last tenth of 2025 and the first instant of 2026, and one on a leap day
    const { tenantId, api } = await newTenant('free');
    const at = (iso: string) => Date.parse(iso);
    const scheduledAt = ['2025-12-31T23:59:59.900Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z'];
    await stack.runtime.usage.fold([
      ...scheduledAt.map((iso, i) => usageEvent(tenantId, 'scheduled', at(iso), `msg_edge${i}_0`)),
      usageEvent(tenantId, 'scheduled', at('2024-02-29T12:00:00Z'), 'msg_leap_0'),
    ]);
    const days = async (query: string) =>
      (await api.get(`/v1/usage?${query}`)).json.days.map((d: { date: string; scheduled: number }) => [
        d.date,
        d.scheduled,
      ]);

    // Act and assess
    expect(await days('from=2025-12-31&to=2026-01-01')).toEqual([
      ['2025-12-31', 1],
      ['2026-01-01', 2],
    ]);
    expect(await days('from=2025-12-01&to=2026-01-31')).toEqual([
      ['2025-12-31', 1],
      ['2026-01-01', 2],
    ]);
    expect(await days('from=2026-01-01&to=2026-01-01')).toEqual([['2026-01-01', 2]]);
    expect(await days('from=2025-12-31&to=2025-12-31')).toEqual([['2025-12-31', 1]]);
    // 366 days with both ends through a leap February, and none of it in this month's count
    expect(await days('from=2023-03-01&to=2024-02-29')).toEqual([['2024-02-29', 1]]);
    expect((await api.get('/v1/usage?from=2023-02-28&to=2024-02-29')).status).toBe(422);
    expect((await api.get('/v1/usage')).json.monthToDate.scheduled).toBe(0);
  });

  it('refuses a reversed or malformed date range with 422', async () => {
    const { api } = await newTenant('free');
    expect((await api.get('/v1/usage?from=2026-11-20&to=2026-11-01')).status).toBe(422);
    expect((await api.get('/v1/usage?from=yesterday')).status).toBe(422);
  });
});
