/**
 * Event webhooks, pure and through the delivery worker with in-memory ports and a fixed clock:
 * which rounds call back, the derived ids that make a round call back once, the links a message
 * keeps, and that an event delivery is neither metered nor the cause of another event.
 */
import { describe, expect, it } from 'vitest';
import type { Message, MessageIn, UsageEvent } from '../src';
import {
  addNotificationEndpoint,
  listNotificationEndpoints,
  callbackDeliveryFor,
  DEFAULT_ENGINE_SETTINGS,
  derivedMessageId,
  EVENT_MAX_ATTEMPTS,
  eventFoundation,
  failureNotificationsFor,
  FixedClock,
  MAX_NOTIFICATION_ENDPOINTS,
  NotificationEndpointExistsError,
  NotificationEndpointLimitError,
  MAX_CALLBACK_REFS,
  MESSAGE_ID_PATTERN,
  MessageIn as MessageInSchema,
  patchMessage,
  QuotaExceededError,
  redeliverMessage,
  removeNotificationEndpoint,
  scheduleMessage,
  storeEventDeliveries,
  sweepPending,
  withCallbackRefs,
} from '../src';
import { deliveryHarness, MemoryEndpoints, opsEndpoint } from './memory-ports';
import { aMessage } from '../../../test-support/messages';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const settings = DEFAULT_ENGINE_SETTINGS;

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', delay: 0, ...over });

const finished = (over: Partial<Message>): Message =>
  aMessage(
    {
      id: 'msg_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
      tenantId: TENANT,
      status: 'delivered',
      attempts: [{ n: 1, startedAt: new Date(T0).toISOString(), durationMs: 5, latenessMs: 1, statusCode: 200 }],
      version: 2,
      callback: { url: 'https://example.com/outcome', on: ['delivered', 'failed'] },
      ...over,
    },
    T0,
  );

describe('derived message ids', () => {
  it('are message ids, the same for the same key and time, and different for another key', () => {
    const a = derivedMessageId(T0, 'callback:msg_x:0');
    expect(a).toMatch(MESSAGE_ID_PATTERN);
    expect(derivedMessageId(T0, 'callback:msg_x:0')).toBe(a);
    expect(derivedMessageId(T0, 'callback:msg_x:1')).not.toBe(a);
    // Sorted by their time like any id.
    expect(derivedMessageId(T0 + 1, 'callback:msg_x:0') > a).toBe(true);
  });
});

describe('which rounds call back', () => {
  it('calls back on an outcome the callback names, with the envelope, five attempts and its origin', () => {
    const message = finished({});
    const delivery = callbackDeliveryFor(message, T0 + 10, settings);
    expect(delivery).toMatchObject({
      tenantId: TENANT,
      url: 'https://example.com/outcome',
      method: 'POST',
      status: 'queued',
      dueAt: T0 + 10,
      maxAttempts: EVENT_MAX_ATTEMPTS,
      origin: { kind: 'callback', messageId: message.id, round: 0, event: 'delivered' },
    });
    const envelope = JSON.parse(delivery!.body);
    expect(envelope).toMatchObject({ type: 'message.delivered', data: { round: 0, message: { id: message.id } } });
    expect(envelope.data.message.body).toBeUndefined();
    expect(envelope.data.message.lastAttempt.statusCode).toBe(200);
  });

  it('does not call back for an outcome not asked for, a round still going, a message without callback, or an event delivery', () => {
    expect(callbackDeliveryFor(finished({ callback: { url: 'https://e.com/', on: ['failed'] } }), T0, settings)).toBe(
      undefined,
    );
    expect(callbackDeliveryFor(finished({ status: 'retrying' }), T0, settings)).toBeUndefined();
    expect(callbackDeliveryFor(finished({ callback: undefined }), T0, settings)).toBeUndefined();
    const origin = { kind: 'callback', messageId: 'msg_y', round: 0, event: 'delivered' } as const;
    expect(callbackDeliveryFor(finished({ origin }), T0, settings)).toBeUndefined();
    expect(failureNotificationsFor(finished({ status: 'failed', origin }), [], T0, settings)).toEqual([]);
  });

  it('gives a round one id per outcome whenever its end is recorded, and the next round another', () => {
    const first = callbackDeliveryFor(finished({}), T0 + 10, settings)!;
    const again = callbackDeliveryFor(finished({}), T0 + 5_000, settings)!;
    const next = callbackDeliveryFor(finished({ round: 1 }), T0 + 10, settings)!;
    const otherEnd = callbackDeliveryFor(finished({ status: 'failed' }), T0 + 10, settings)!;
    expect(again.id).toBe(first.id);
    expect(next.id).not.toBe(first.id);
    expect(otherEnd.id).not.toBe(first.id);
  });

  it('keeps links to the latest callback deliveries only', () => {
    let message = finished({});
    for (let round = 0; round < MAX_CALLBACK_REFS + 3; round += 1) {
      message = withCallbackRefs(message, [callbackDeliveryFor({ ...message, round }, T0, settings)!]);
    }
    expect(message.callbacks).toHaveLength(MAX_CALLBACK_REFS);
    expect(message.callbacks?.at(-1)?.round).toBe(MAX_CALLBACK_REFS + 2);
  });
});

describe('the worker at a round’s end', () => {
  const setup = (script = [{ statusCode: 200 }]) => {
    const metered: UsageEvent[] = [];
    const meter = { record: async (events: readonly UsageEvent[]) => void metered.push(...events) };
    return { ...deliveryHarness({ t0: T0, secret: SECRET, script, meter }), metered };
  };

  it('stores and enqueues the callback, links it, and neither meters its delivery nor calls back for it', async () => {
    const h = setup([{ statusCode: 200 }, { statusCode: 200 }]);
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ callback: { url: 'https://example.com/outcome', on: ['delivered'] } }),
    );
    expect(await h.deliverLatest()).toBe('delivered');

    const parent = await h.store.get(TENANT, message.id);
    const [ref] = parent?.callbacks ?? [];
    expect(ref).toMatchObject({ round: 0, event: 'delivered' });
    expect(h.queue.sent.at(-1)?.ticket.messageId).toBe(ref?.id);
    const meteredBefore = h.metered.length;

    expect(await h.deliverLatest()).toBe('delivered');
    const callback = await h.store.get(TENANT, ref!.id);
    expect(callback?.status).toBe('delivered');
    expect(callback?.callbacks).toBeUndefined();
    expect(h.metered).toHaveLength(meteredBefore);
    expect(h.queue.sent.at(-1)?.ticket.messageId).toBe(ref?.id);
  });

  it('stores a round’s callback once when it is made twice (a worker taken again after a crash)', async () => {
    const h = setup();
    const delivery = callbackDeliveryFor(finished({}), T0, settings)!;
    expect(await storeEventDeliveries(h.deps, [delivery])).toEqual([delivery]);
    expect(await storeEventDeliveries(h.deps, [{ ...delivery, createdAt: T0 + 1 }])).toHaveLength(1);
    expect((await h.store.get(TENANT, delivery.id))?.createdAt).toBe(T0);
  });

  it('redelivers an event delivery without the quota or metering (a tenant message still gets both)', async () => {
    const h = setup([{ statusCode: 200 }]);
    const delivery = callbackDeliveryFor(finished({}), T0, settings)!;
    await storeEventDeliveries(h.deps, [delivery]);
    // Stored, not yet dispatched: hand its ticket to the worker as dispatch would.
    h.queue.sent.push({ ticket: { tenantId: TENANT, messageId: delivery.id, version: 0, dueAt: T0 }, delaySeconds: 0 });
    expect(await h.deliverLatest()).toBe('delivered');
    const refusing = { assertWithin: async () => Promise.reject(QuotaExceededError.monthly(1, 1, 1, T0)) };
    const deps = { ...h.deps, quota: refusing };

    const again = await redeliverMessage(deps, TENANT, delivery.id);

    expect(again.status).toBe('queued');
    expect(h.metered).toEqual([]);
    const { message } = await scheduleMessage(h.deps, TENANT, input({}));
    expect(await h.deliverLatest()).toBe('delivered');
    await expect(redeliverMessage(deps, TENANT, message.id)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('never lets a patch change what an event delivery sends (a free, uncounted webhook), only when and its labels', async () => {
    const h = setup([{ statusCode: 503 }]);
    const delivery = callbackDeliveryFor(finished({}), T0, settings)!;
    await storeEventDeliveries(h.deps, [delivery]);
    h.queue.sent.push({ ticket: { tenantId: TENANT, messageId: delivery.id, version: 0, dueAt: T0 }, delaySeconds: 0 });
    expect(await h.deliverLatest()).toBe('retrying');

    for (const change of [
      { url: 'https://elsewhere.example/any' },
      { body: { anything: 1 } },
      { headers: { 'x-any': '1' } },
      { method: 'PUT' as const },
    ]) {
      await expect(patchMessage(h.deps, TENANT, delivery.id, change)).rejects.toThrow(
        /is an event delivery Vigil made \(a callback\): its (url|body|headers|method) cannot be changed/,
      );
    }
    const moved = await patchMessage(h.deps, TENANT, delivery.id, { delay: 60, labels: ['looked-at'] });
    expect(moved).toMatchObject({ url: delivery.url, body: delivery.body, labels: ['looked-at'] });
    expect(moved.sendAt).toBe(h.clock.now() + 60_000);
  });
});

describe('notification endpoints added at once', () => {
  it(`keep to ${MAX_NOTIFICATION_ENDPOINTS}: those past the limit in creation order remove themselves and are refused`, async () => {
    const endpoints = new MemoryEndpoints();
    const deps = { clock: new FixedClock(T0), endpoints };
    const adds = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        addNotificationEndpoint(deps, TENANT, { url: `https://example.com/ops/${i}`, events: ['message.failed'] }),
      ),
    );
    const added = adds.flatMap((a) => (a.status === 'fulfilled' ? [a.value.endpoint.id] : []));
    expect(added).toHaveLength(MAX_NOTIFICATION_ENDPOINTS);
    expect(adds.filter((a) => a.status === 'rejected').map((a) => (a as PromiseRejectedResult).reason)).toEqual(
      Array.from({ length: 5 }, () => expect.any(NotificationEndpointLimitError)),
    );
    expect((await endpoints.listEndpoints(TENANT)).map((e) => e.id).sort()).toEqual([...added].sort());
  });
});

describe('one endpoint a URL', () => {
  const ops = { url: 'https://example.com/ops', events: ['message.failed' as const] };

  it('answers an add repeated after a lost answer with the endpoint it made, and refuses the URL with other events', async () => {
    const endpoints = new MemoryEndpoints();
    const deps = { clock: new FixedClock(T0), endpoints };
    const first = await addNotificationEndpoint(deps, TENANT, ops);
    const again = await addNotificationEndpoint(deps, TENANT, { ...ops, events: [...ops.events] });
    expect(first.created).toBe(true);
    expect(again).toEqual({ endpoint: first.endpoint, created: false });
    await expect(addNotificationEndpoint(deps, TENANT, { ...ops, events: ['key.created'] })).rejects.toBeInstanceOf(
      NotificationEndpointExistsError,
    );
    await expect(addNotificationEndpoint(deps, TENANT, { ...ops, description: 'pager' })).rejects.toBeInstanceOf(
      NotificationEndpointExistsError,
    );
    expect(await endpoints.listEndpoints(TENANT)).toEqual([first.endpoint]);
  });

  it('keeps one endpoint when the same URL is added several times at once: the first in creation order', async () => {
    const endpoints = new MemoryEndpoints();
    const deps = { clock: new FixedClock(T0), endpoints };
    const adds = await Promise.all(Array.from({ length: 4 }, () => addNotificationEndpoint(deps, TENANT, ops)));
    const kept = await endpoints.listEndpoints(TENANT);
    expect(kept).toHaveLength(1);
    expect(new Set(adds.map((a) => a.endpoint.id))).toEqual(new Set([kept[0]!.id]));
  });
});

describe("listing a tenant's notification endpoints", () => {
  it("lists the tenant's own endpoints, oldest first, and none of another tenant's", async () => {
    // Prepare: two endpoints of the tenant, one of another
    const endpoints = new MemoryEndpoints();
    const clock = new FixedClock(T0);
    const deps = { clock, endpoints };
    const first = await addNotificationEndpoint(deps, TENANT, {
      url: 'https://example.com/a',
      events: ['message.failed'],
    });
    clock.set(T0 + 1_000);
    await addNotificationEndpoint(deps, 'tnt_b', { url: 'https://example.com/b', events: ['key.created'] });
    clock.set(T0 + 2_000);
    const second = await addNotificationEndpoint(deps, TENANT, {
      url: 'https://example.com/c',
      events: ['key.revoked'],
    });

    // Act
    const listed = await listNotificationEndpoints(deps, TENANT);

    // Assess
    expect(listed).toEqual([first.endpoint, second.endpoint]);
  });
});

describe('a round that ends while the store is in trouble', () => {
  it('still stores its callback and its message.failed notification, trying each read and write again', async () => {
    const endpoints = await opsEndpoint(TENANT, T0);
    const h = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 410 }], endpoints });
    const on: Array<'delivered' | 'failed'> = ['failed'];
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ callback: { url: 'https://example.com/outcome', on } }),
    );
    // Two throttled tries at each: the endpoints' read, and each event delivery's insert.
    const throttledTwice = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => {
      let failures = 0;
      return async (...args: A): Promise<R> => {
        if (failures < 2) {
          failures += 1;
          throw new Error('ProvisionedThroughputExceededException');
        }
        return call(...args);
      };
    };
    endpoints.listEndpoints = throttledTwice(endpoints.listEndpoints.bind(endpoints));
    const insert = h.store.insert.bind(h.store);
    h.store.insert = (() => {
      const perDelivery = new Map<string, (m: Message) => Promise<void>>();
      return async (m: Message) => {
        if (!m.origin) return insert(m);
        if (!perDelivery.has(m.id)) perDelivery.set(m.id, throttledTwice(insert));
        return perDelivery.get(m.id)!(m);
      };
    })();

    expect(await h.deliverLatest()).toBe('failed');
    const origins = h.queue.sent.slice(1).map((s) => h.store.messages.get(s.ticket.messageId)?.origin?.kind);
    expect(origins.sort()).toEqual(['callback', 'notification']);
    expect((await h.store.get(TENANT, message.id))?.callbacks).toEqual([
      expect.objectContaining({ round: 0, event: 'failed' }),
    ]);
  });
});

describe('a round whose end cannot be recorded', () => {
  const CALLBACK_URL = 'https://example.com/outcome';
  const ENDPOINT_URL = 'https://example.com/ops';

  /** A 2xx whose record the store refuses three times: the message ends `failed` (record-failed). */
  const undeliverableRecord = async (on: Array<'delivered' | 'failed'>) => {
    const endpoints = await opsEndpoint(TENANT, T0, ENDPOINT_URL);
    const h = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 200 }], endpoints });
    const { message } = await scheduleMessage(h.deps, TENANT, input({ callback: { url: CALLBACK_URL, on } }));
    h.store.unsavable.add(message.id);
    expect(await h.deliverLatest()).toBe('failed');
    // Every event delivery dispatched goes out, as the queue would hand it on; and whatever the
    // sweep finds an hour later (a stored delivery never dispatched) too.
    const deliverQueued = async (from: number) => {
      for (let i = from; i < h.queue.sent.length; i += 1) await h.worker.deliver(h.queue.sent[i]!.ticket);
    };
    await deliverQueued(1);
    h.clock.advance(3_600_000);
    const swept = h.queue.sent.length;
    await sweepPending(h.deps, -60_000);
    await deliverQueued(swept);
    const told = (url: string) =>
      h.sender.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body ?? '{}').type as string);
    return { ...h, message, told };
  };

  it('calls back `failed`, with the reason, and never `delivered`', async () => {
    const h = await undeliverableRecord(['delivered', 'failed']);

    const parent = (await h.store.get(TENANT, h.message.id))!;
    expect(parent).toMatchObject({ status: 'failed', failureReason: { code: 'record-failed' } });
    expect(parent.callbacks).toEqual([expect.objectContaining({ round: 0, event: 'failed' })]);
    expect(h.told(CALLBACK_URL)).toEqual(['message.failed']);
    const body = JSON.parse(h.sender.requests.find((r) => r.url === CALLBACK_URL)!.body!);
    expect(body.data.message).toMatchObject({ status: 'failed', failureReason: { code: 'record-failed' } });
    // With its expiry, as the API and a callback from a recorded attempt show it.
    expect(body.data.message.expiresAt).toBe(new Date(parent.expiresAt!).toISOString());
    // The `delivered` callback stored before the record is withdrawn, so no sweep sends it later.
    const withdrawn = callbackDeliveryFor({ ...parent, status: 'delivered' }, T0, settings)!;
    expect((await h.store.get(TENANT, withdrawn.id))?.status).toBe('cancelled');
  });

  it('withdraws a notification for an endpoint removed since it was made: that endpoint is told nothing more', async () => {
    const endpoints = await opsEndpoint(TENANT, T0, ENDPOINT_URL);
    const h = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 410 }], endpoints });
    await scheduleMessage(h.deps, TENANT, input({}));
    expect(await h.deliverLatest()).toBe('failed');
    const notification = [...h.store.messages.values()].find((m) => m.origin?.kind === 'notification')!;
    const [endpoint] = await endpoints.listEndpoints(TENANT);
    await removeNotificationEndpoint({ endpoints }, TENANT, endpoint!.id);

    expect(await h.deliverLatest()).toBe('skipped');
    expect(h.sender.requests.filter((r) => r.url === ENDPOINT_URL)).toEqual([]);
    expect((await h.store.get(TENANT, notification.id))?.status).toBe('cancelled');
  });

  it('tells the notification endpoints `message.failed`', async () => {
    const h = await undeliverableRecord(['delivered', 'failed']);
    expect(h.told(ENDPOINT_URL)).toEqual(['message.failed']);
  });

  /** A store where every try to record `id` throws and the third lands all the same (its answer lost). */
  const recordsUnseen = (h: ReturnType<typeof deliveryHarness>, id: string, { readable }: { readable: boolean }) => {
    const save = h.store.save.bind(h.store);
    const get = h.store.get.bind(h.store);
    let tries = 0;
    h.store.save = async (m, expected) => {
      if (m.id !== id) return save(m, expected);
      tries += 1;
      if (tries === 3) await save(m, expected);
      throw new Error('TimeoutError (injected)');
    };
    if (!readable) {
      h.store.get = async (tenantId, messageId) => {
        if (messageId === id) throw new Error('ProvisionedThroughputExceededException (injected)');
        return get(tenantId, messageId);
      };
    }
    return () => {
      h.store.save = save;
      h.store.get = get;
    };
  };

  it('reads back a record whose every try threw: one that landed ends the round as recorded, not failed', async () => {
    const endpoints = await opsEndpoint(TENANT, T0, ENDPOINT_URL);
    const h = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 200 }], endpoints });
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ callback: { url: CALLBACK_URL, on: ['delivered', 'failed'] } }),
    );
    const restore = recordsUnseen(h, message.id, { readable: true });
    expect(await h.deliverLatest()).toBe('delivered');
    restore();
    for (let i = 1; i < h.queue.sent.length; i += 1) await h.worker.deliver(h.queue.sent[i]!.ticket);
    h.clock.advance(3_600_000);
    const swept = h.queue.sent.length;
    await sweepPending(h.deps, -60_000);
    for (let i = swept; i < h.queue.sent.length; i += 1) await h.worker.deliver(h.queue.sent[i]!.ticket);

    expect((await h.store.get(TENANT, message.id))?.status).toBe('delivered');
    const told = (url: string) =>
      h.sender.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body ?? '{}').type as string);
    expect(told(ENDPOINT_URL)).toEqual([]);
    expect(told(CALLBACK_URL)).toEqual(['message.delivered']);
  });

  it('withdraws the failure events of a round it could not finish, when the message moved on unseen', async () => {
    const endpoints = await opsEndpoint(TENANT, T0, ENDPOINT_URL);
    // A 500: the record sends the message back to retrying (a new version), landing unseen, and
    // the read that would tell fails too; the failure write then finds the message moved on.
    const h = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 500 }], endpoints });
    const { message } = await scheduleMessage(h.deps, TENANT, input({}));
    const restore = recordsUnseen(h, message.id, { readable: false });
    expect(await h.deliverLatest()).toBe('skipped');
    restore();
    // Whatever event delivery is left stored, the sweep finds it an hour later.
    h.clock.advance(3_600_000);
    const swept = h.queue.sent.length;
    await sweepPending(h.deps, -60_000);
    const events = h.queue.sent.slice(swept).filter(({ ticket }) => ticket.messageId !== message.id);
    for (const { ticket } of events) await h.worker.deliver(ticket);
    expect(h.sender.requests.filter((r) => r.url === ENDPOINT_URL)).toEqual([]);
    expect((await h.store.get(TENANT, message.id))?.status).not.toBe('failed');
  });

  it('says nothing to a callback that asked for `delivered` only', async () => {
    const h = await undeliverableRecord(['delivered']);
    expect(h.told(CALLBACK_URL)).toEqual([]);
    expect(h.told(ENDPOINT_URL)).toEqual(['message.failed']);
  });
});

describe('whether an event delivery tells an end its message recorded', () => {
  const callback = callbackDeliveryFor(finished({}), T0, settings)!;
  const [notification] = failureNotificationsFor(
    finished({ status: 'failed' }),
    [
      {
        id: 'nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
        tenantId: TENANT,
        url: 'https://e.com/',
        events: ['message.failed'],
        createdAt: T0,
      },
    ],
    T0,
    settings,
  );
  const link = { id: callback.id, round: 0, event: 'delivered' as const };

  it('a callback: founded by its link, or by the round ending so where the links were left out', () => {
    expect(eventFoundation(callback, finished({ callbacks: [link] }))).toBe('founded');
    expect(eventFoundation(callback, finished({ callbacks: undefined }))).toBe('founded');
  });

  it('a callback: open while its round goes on, unfounded once it ended otherwise or another delivery is linked for it', () => {
    expect(eventFoundation(callback, finished({ status: 'delivering' }))).toBe('open');
    expect(eventFoundation(callback, finished({ status: 'retrying' }))).toBe('open');
    expect(eventFoundation(callback, finished({ status: 'failed' }))).toBe('unfounded');
    expect(eventFoundation(callback, finished({ status: 'cancelled' }))).toBe('unfounded');
    const other = { id: derivedMessageId(T0 + 9, 'x'), round: 0, event: 'delivered' as const };
    expect(eventFoundation(callback, finished({ callbacks: [other] }))).toBe('unfounded');
  });

  it('a message.failed notification names its message and round: founded by a failed round, unfounded by another end', () => {
    expect(notification?.origin).toMatchObject({ kind: 'notification', messageId: finished({}).id, round: 0 });
    expect(eventFoundation(notification!, finished({ status: 'failed' }))).toBe('founded');
    expect(eventFoundation(notification!, finished({ status: 'retrying' }))).toBe('open');
    expect(eventFoundation(notification!, finished({ status: 'delivered' }))).toBe('unfounded');
  });

  it('sends as before what cannot be told: the message gone, a later round, a notification that names no message', () => {
    expect(eventFoundation(callback, undefined)).toBe('founded');
    expect(eventFoundation(callback, finished({ status: 'failed', round: 1 }))).toBe('founded');
    const {
      messageId: _m,
      round: _r,
      ...unnamed
    } = notification!.origin as { kind: 'notification' } & Record<string, unknown>;
    expect(
      eventFoundation({ ...notification!, origin: unnamed as Message['origin'] }, finished({ status: 'delivered' })),
    ).toBe('founded');
    expect(eventFoundation(aMessage({ tenantId: TENANT }, T0), finished({}))).toBe('founded');
  });
});

describe('an event delivery of an end that was not recorded (a worker killed between its send and its record)', () => {
  const CALLBACK_URL = 'https://example.com/outcome';
  const ENDPOINT_URL = 'https://example.com/ops';

  /**
   * The message's first send is answered `first`; the worker dies before its record (the write
   * never happens). After its lease the sweep hands the message out again, the same attempt is
   * answered `then`, and it ends (one attempt allowed). The sweep runs every minute for an hour
   * after, and every ticket goes to a worker, as the queue would hand it on.
   */
  const killedBeforeRecord = async (first: number, then: number) => {
    const endpoints = await opsEndpoint(TENANT, T0, ENDPOINT_URL);
    const h = deliveryHarness({
      t0: T0,
      secret: SECRET,
      // Then every event delivery is answered 200.
      script: [{ statusCode: first }, { statusCode: then }, { statusCode: 200 }],
      endpoints,
    });
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ callback: { url: CALLBACK_URL, on: ['delivered', 'failed'] }, retry: { maxAttempts: 1 } }),
    );
    const save = h.store.save.bind(h.store);
    let killed = false;
    h.store.save = async (m, expected) => {
      if (m.id !== message.id || m.attempts.length === 0 || killed) return save(m, expected);
      killed = true;
      return new Promise<boolean>(() => {});
    };
    void h.deliverLatest();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.sender.requests).toHaveLength(1);
    let handed = h.queue.sent.length;
    const handOn = async () => {
      for (; handed < h.queue.sent.length; handed += 1) {
        const { ticket } = h.queue.sent[handed]!;
        h.clock.set(Math.max(h.clock.now(), ticket.dueAt));
        await h.worker.deliver(ticket);
      }
    };
    for (let minute = 1; minute <= 60; minute += 1) {
      h.clock.set(T0 + minute * 60_000);
      await sweepPending(h.deps, -settings.sweepGraceMs);
      await handOn();
    }
    const told = (url: string) =>
      h.sender.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body ?? '{}').type as string);
    return { ...h, message, told };
  };

  it('never calls back `delivered` for a send answered 2xx whose retake was answered 500 and failed', async () => {
    const h = await killedBeforeRecord(200, 500);

    const parent = (await h.store.get(TENANT, h.message.id))!;
    expect(parent.status).toBe('failed');
    expect(h.told(CALLBACK_URL)).toEqual(['message.failed']);
    expect(h.told(ENDPOINT_URL)).toEqual(['message.failed']);
    // The `delivered` callback stored before the lost record is withdrawn, kept as long as its message.
    const withdrawn = (await h.store.get(
      TENANT,
      callbackDeliveryFor({ ...parent, status: 'delivered' }, T0, settings)!.id,
    ))!;
    expect(withdrawn.status).toBe('cancelled');
    expect(withdrawn.expiresAt).toBe(parent.expiresAt);
  });

  it('never tells `message.failed` for a send answered 500 whose retake was answered 2xx and delivered', async () => {
    const h = await killedBeforeRecord(500, 200);

    expect((await h.store.get(TENANT, h.message.id))?.status).toBe('delivered');
    expect(h.told(CALLBACK_URL)).toEqual(['message.delivered']);
    expect(h.told(ENDPOINT_URL)).toEqual([]);
  });

  it('reads the message once for a round’s callback and its notifications, and leaves them while the round goes on', async () => {
    const h = deliveryHarness({ t0: T0, secret: SECRET });
    const parent = finished({ status: 'retrying', dueAt: T0 + 3_600_000 });
    await h.store.insert(parent);
    const endpoints = ['nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2A', 'nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2B'].map((id) => ({
      id,
      tenantId: TENANT,
      url: `https://example.com/${id}`,
      events: ['message.failed' as const],
      createdAt: T0,
    }));
    const ended = { ...parent, status: 'failed' as const };
    await storeEventDeliveries(h.deps, [
      callbackDeliveryFor(ended, T0, settings)!,
      ...failureNotificationsFor(ended, endpoints, T0, settings),
    ]);
    const get = h.store.get.bind(h.store);
    const reads: string[] = [];
    h.store.get = async (tenantId, messageId) => {
      reads.push(messageId);
      return get(tenantId, messageId);
    };

    h.clock.set(T0 + 10 * 60_000);
    await sweepPending(h.deps, -settings.sweepGraceMs);

    expect(reads).toEqual([parent.id]);
    expect(h.queue.sent).toEqual([]);
  });

  it('calls back once, as recorded, when the retake is answered as the first send was', async () => {
    const h = await killedBeforeRecord(200, 200);

    expect(h.told(CALLBACK_URL)).toEqual(['message.delivered']);
    expect(h.sender.requests.filter((r) => r.url === CALLBACK_URL)).toHaveLength(1);
  });
});
