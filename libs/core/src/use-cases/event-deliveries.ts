/**
 * Event deliveries (event-webhooks.ts) made and handed on, and the tenant's notification
 * endpoints. An event delivery is stored first (a conditional insert under its derived id, so it
 * is stored once), then dispatched like any message; one stored but not dispatched (a crash in
 * between) is found by the sweep. Making one never fails what it is about: a key is created, a
 * message's end recorded, whatever happens to its events (logged).
 */
import type { BackoffPolicy } from '../backoff';
import { retryDelayMs } from '../backoff';
import { inCreationOrder, pastLimitInCreationOrder } from '../created-at-once';
import type { ApiKeyInfo } from '../tenancy/tenant';
import {
  MessageAlreadyExistsError,
  NotificationEndpointExistsError,
  NotificationEndpointLimitError,
  NotificationEndpointNotFoundError,
  ValidationError,
} from '../errors';
import type { NotificationEndpoint } from '../event-webhooks';
import {
  accountNotificationsFor,
  MAX_NOTIFICATION_ENDPOINTS,
  NOTIFICATION_ENDPOINT_ID_PATTERN,
  newNotificationEndpointId,
  RECENT_DELIVERIES_LIMIT,
  RECENT_DELIVERY_KEEP_MS,
} from '../event-webhooks';
import type { Message, MessageStatus, NotificationEventType } from '../message';
import { TEST_EVENT_TYPE } from '../message';
import type { MessageOut } from '../message-view';
import { toMessageOut } from '../message-view';
import type { MessageStore, NotificationEndpointStore } from '../ports';
import { withRetention } from '../retention';
import { newMessageId } from '../ids';
import { requestFingerprint } from '../request-fingerprint';
import type { NotificationEndpointIn } from '../schemas';
import { targetErrors } from '../targets';
import type { SchedulingDeps } from './deps';
import { dispatchMessages } from './dispatch';
import type { IdempotencyDeps } from './idempotent-request';
import { runIdempotently } from './idempotent-request';
import { sendDueAgain } from './manage-message';

/** What making event deliveries needs: scheduling, and the tenant's endpoints where notifications are sent. */
export interface EventDeliveryDeps extends SchedulingDeps {
  endpoints?: NotificationEndpointStore;
}

/**
 * Stores event deliveries, each once (one already stored under its derived id counts as stored),
 * trying a failed one again (EVENT_TRIES in all). Returns those that are stored; one that still
 * fails is logged and left out, or, with `mustStore` (a request whose answer is the delivery),
 * its error is thrown: the store's own, so an outage is answered as one (503).
 */
export const storeEventDeliveries = async (
  deps: Pick<SchedulingDeps, 'store' | 'log' | 'clock'>,
  deliveries: readonly Message[],
  { mustStore = false }: { mustStore?: boolean } = {},
): Promise<Message[]> => {
  const stored = new Set<Message>();
  let left = deliveries;
  for (let tries = 1; ; tries += 1) {
    const results = await Promise.allSettled(left.map((d) => deps.store.insert(d)));
    // Stored, or stored already (a try whose answer was lost: the derived id makes it the same one).
    const failures = left.flatMap((delivery, i) => {
      const result = results[i] as PromiseSettledResult<void>;
      return result.status === 'rejected' && !(result.reason instanceof MessageAlreadyExistsError)
        ? [{ delivery, error: result.reason as unknown }]
        : [];
    });
    for (const delivery of left) if (!failures.some((f) => f.delivery === delivery)) stored.add(delivery);
    if (failures.length === 0) break;
    if (tries >= EVENT_TRIES) {
      for (const { delivery, error } of failures) {
        deps.log.error('an event delivery could not be stored; it is not sent', {
          tenantId: delivery.tenantId,
          messageId: delivery.id,
          origin: delivery.origin?.kind,
          tries,
          error: String(error),
        });
      }
      if (mustStore) throw (failures[0] as { error: unknown }).error;
      break;
    }
    await pauseBeforeTry(deps, tries);
    left = failures.map((f) => f.delivery);
  }
  return deliveries.filter((d) => stored.has(d));
};

/**
 * Tries at reading the tenant's endpoints and at storing an event delivery before it is given up
 * (logged): a store throttled for a moment, the bad day notifications are for, must not lose one.
 * Each try is the SDK's own retries; the pauses keep the whole well inside a take's lease.
 */
const EVENT_TRIES = 3;
/** 100 ms, then 400 ms: each pause its whole step (no jitter: a worker's own tries collide with no one). */
const EVENT_BACKOFF: BackoffPolicy = { baseMs: 100, factor: 4, capMs: 400 };

const pauseBeforeTry = (deps: Pick<SchedulingDeps, 'clock'>, tries: number) =>
  deps.clock.sleepUntil(deps.clock.now() + retryDelayMs(tries, EVENT_BACKOFF, 1));

/**
 * Withdraws stored event deliveries that tell of an end the message did not come to (made before
 * a record that then failed: the message ended otherwise). Each is cancelled if it is still as it
 * was stored, untaken (a conditional write on its version); one a worker has taken already is past
 * withdrawing, and logged. Cancelled, it is kept like any final message, `keepMs` from now. Resolves
 * with how many were withdrawn.
 */
export const withdrawEventDeliveries = async (
  deps: Pick<SchedulingDeps, 'store' | 'log' | 'clock'>,
  deliveries: readonly Message[],
  keepMs: number,
): Promise<number> => {
  const now = deps.clock.now();
  const withdrawn = await Promise.all(
    deliveries.map(async (delivery): Promise<boolean> => {
      const { bucketAt: _bucket, ...rest } = delivery;
      const withdrawn = withRetention(
        { ...rest, status: 'cancelled', version: delivery.version + 1, updatedAt: now },
        now,
        keepMs,
      );
      const fields = { tenantId: delivery.tenantId, messageId: delivery.id, origin: delivery.origin?.kind };
      try {
        if (await deps.store.save(withdrawn, delivery.version)) return true;
        deps.log.error('an event delivery of an end that was not recorded was taken already; not withdrawn', fields);
      } catch (error) {
        deps.log.error('an event delivery of an end that was not recorded could not be withdrawn', {
          ...fields,
          error: String(error),
        });
      }
      return false;
    }),
  );
  return withdrawn.filter(Boolean).length;
};

/**
 * Where an account event's deliveries go when there is no queue at hand (the operator's shell,
 * `npm run admin`): they are stored only. Each is stored `queued` and due at once, in the pending
 * index like any message, so the engine's sweep (sweep-pending.ts) hands it on once it is overdue
 * by the sweep's grace (on AWS a sweep a minute with 60 s of grace: within about two minutes), as
 * it does a delivery whose dispatch failed; the engine then sends it like any other. Its origin
 * says it was stored so (`handedOnBy: 'sweep'`, in the same insert), so the sweep counts it apart
 * from the lost tickets it warns of.
 */
export type StoredEventDeps = Pick<SchedulingDeps, 'store' | 'clock' | 'settings' | 'log'> & {
  endpoints?: NotificationEndpointStore;
};

/** Whether event deliveries made with `deps` are handed to the queue at once (the engine), or only stored. */
const handsOnAtOnce = (deps: EventDeliveryDeps | StoredEventDeps): deps is EventDeliveryDeps => 'queue' in deps;

/** Dispatches stored event deliveries, and notes each notification on its endpoint (for the console). */
export const dispatchEventDeliveries = async (deps: EventDeliveryDeps, deliveries: readonly Message[]) => {
  if (deliveries.length === 0) return;
  await dispatchMessages(deps, deliveries);
  await noteOnEndpoints(deps, deliveries);
};

/** Notes each notification delivery on its endpoint (its recent deliveries, for the console). */
const noteOnEndpoints = async (deps: StoredEventDeps, deliveries: readonly Message[]) => {
  const { endpoints } = deps;
  if (!endpoints) return;
  await Promise.all(
    deliveries.map(async (d) => {
      if (d.origin?.kind !== 'notification') return;
      await endpoints
        .recordDelivery(d.tenantId, d.origin.endpointId, d.id, d.createdAt + RECENT_DELIVERY_KEEP_MS)
        .catch((error: unknown) =>
          deps.log.warn('a notification delivery was not noted on its endpoint', {
            tenantId: d.tenantId,
            messageId: d.id,
            error: String(error),
          }),
        );
    }),
  );
};

/**
 * The tenant's endpoints (EVENT_TRIES tries), or none (logged) when they cannot be read: an event
 * must not fail its cause.
 */
export const endpointsOf = async (deps: StoredEventDeps, tenantId: string): Promise<NotificationEndpoint[]> => {
  if (!deps.endpoints) return [];
  for (let tries = 1; ; tries += 1) {
    try {
      return await deps.endpoints.listEndpoints(tenantId);
    } catch (error) {
      if (tries < EVENT_TRIES) {
        await pauseBeforeTry(deps, tries);
        continue;
      }
      deps.log.error('notification endpoints could not be read; their events are not sent', {
        tenantId,
        tries,
        error: String(error),
      });
      return [];
    }
  }
};

/**
 * Makes and sends an account event's deliveries (only stores them, for the engine's sweep to send,
 * where `deps` has no queue); `deliveryId`, for one endpoint, is the id its delivery takes, and
 * `mustStore` throws the store's error when it could not be stored (storeEventDeliveries).
 */
const sendAccountEvent = async (
  deps: EventDeliveryDeps | StoredEventDeps,
  endpoints: readonly NotificationEndpoint[],
  event: Parameters<typeof accountNotificationsFor>[1],
  { deliveryId, mustStore }: { deliveryId?: string; mustStore?: boolean } = {},
): Promise<Message[]> => {
  const atOnce = handsOnAtOnce(deps);
  const deliveries = accountNotificationsFor(endpoints, event, deps.clock.now(), deps.settings).map((d) => ({
    ...d,
    ...(deliveryId !== undefined && { id: deliveryId }),
    // Stored for the sweep, it says so: the sweep finding it unsent is then no lost ticket.
    ...(!atOnce && d.origin?.kind === 'notification' && { origin: { ...d.origin, handedOnBy: 'sweep' as const } }),
  }));
  const stored = await storeEventDeliveries(deps, deliveries, { mustStore });
  if (atOnce) await dispatchEventDeliveries(deps, stored);
  else await noteOnEndpoints(deps, stored);
  return stored;
};

/**
 * Tells the tenant's endpoints that take it about an API key's `key.created` or `key.revoked`: sent
 * at once by the engine, or, from a shell with no queue (StoredEventDeps), by the engine's sweep.
 */
export const notifyKeyEvent = async (
  deps: EventDeliveryDeps | StoredEventDeps,
  tenantId: string,
  type: Extract<NotificationEventType, 'key.created' | 'key.revoked'>,
  key: Pick<ApiKeyInfo, 'id'> & Partial<ApiKeyInfo>,
): Promise<void> => {
  const subscribed = (await endpointsOf(deps, tenantId)).filter((e) => e.events.includes(type));
  if (subscribed.length === 0) return;
  const now = deps.clock.now();
  const data = {
    key: {
      id: key.id,
      ...(key.name !== undefined && { name: key.name }),
      ...(key.prefix !== undefined && { prefix: key.prefix }),
      ...(type === 'key.created' &&
        key.createdAt !== undefined && { createdAt: new Date(key.createdAt).toISOString() }),
      ...(type === 'key.revoked' && {
        revokedAt: new Date(key.revokedAt ?? now).toISOString(),
        // Who revoked it, as GET /v1/keys?include=revoked lists it (api-key-view.ts).
        revokedBy: key.revokedBy ?? 'unknown',
      }),
    },
  };
  await sendAccountEvent(deps, subscribed, { type, key: key.id, data });
};

/**
 * What the notification endpoint routes need, but a test send: the endpoints, the message store (an
 * endpoint's recent deliveries are messages), the clock and the target policy (an endpoint's URL is
 * checked like a message's). A test send is an event delivery, so it takes EventDeliveryDeps.
 */
export type NotificationEndpointDeps = Pick<EventDeliveryDeps, 'clock' | 'targets' | 'store'> & {
  endpoints: NotificationEndpointStore;
};

type EndpointDeps = Pick<NotificationEndpointDeps, 'clock' | 'targets' | 'endpoints'>;

/** The tenant's notification endpoints, oldest first. */
export const listNotificationEndpoints = (
  deps: Pick<NotificationEndpointDeps, 'endpoints'>,
  tenantId: string,
): Promise<NotificationEndpoint[]> => deps.endpoints.listEndpoints(tenantId);

/** An endpoint added, or the one the tenant had for its URL already (`created: false`). */
export interface AddedEndpoint {
  endpoint: NotificationEndpoint;
  created: boolean;
}

/** Whether two endpoints tell the same receiver the same things. */
const sameEndpoint = (a: NotificationEndpoint, b: Pick<NotificationEndpoint, 'events' | 'description'>) =>
  [...a.events].sort().join() === [...b.events].sort().join() && a.description === b.description;

/** The endpoint `mine` gives way to: the first for its URL in creation order (then id), unless it is `mine`. */
const earlierForUrl = (all: readonly NotificationEndpoint[], mine: NotificationEndpoint) => {
  const [first] = inCreationOrder(all.filter((e) => e.url === mine.url));
  return first && first.id !== mine.id ? first : undefined;
};

/**
 * Adds an endpoint: its URL checked like a message's target, at most MAX_NOTIFICATION_ENDPOINTS, one
 * a URL. Asked again for a URL it has, with the same events and description, it answers with that
 * endpoint and adds none (a request retried after its answer was lost must not add a second one,
 * which would send every event twice); with others it is refused (409 `endpoint-exists`). Adds sent
 * at once may each find room: so each looks again once it is stored, and one that is past the limit
 * in creation order (ties by id), or not the first for its URL, removes itself, so the limit holds
 * and one URL keeps one endpoint.
 */
export const addNotificationEndpoint = async (
  deps: EndpointDeps,
  tenantId: string,
  input: NotificationEndpointIn,
  endpointId?: string,
): Promise<AddedEndpoint> => {
  assertEndpointTarget(deps, input);
  const existing = await deps.endpoints.listEndpoints(tenantId);
  const forUrl = existing.find((e) => e.url === input.url);
  if (forUrl) return { endpoint: theSameOrRefused(forUrl, input), created: false };
  if (existing.length >= MAX_NOTIFICATION_ENDPOINTS) {
    throw new NotificationEndpointLimitError(
      `A tenant may have at most ${MAX_NOTIFICATION_ENDPOINTS} notification endpoints (it has ${existing.length}); remove one first.`,
    );
  }
  const now = deps.clock.now();
  const endpoint: NotificationEndpoint = {
    id: endpointId ?? newNotificationEndpointId(now),
    tenantId,
    url: input.url,
    events: input.events,
    ...(input.description !== undefined && { description: input.description }),
    createdAt: now,
  };
  await deps.endpoints.addEndpoint(endpoint);
  const after = await deps.endpoints.listEndpoints(tenantId);
  const earlier = earlierForUrl(after, endpoint);
  if (earlier) {
    await deps.endpoints.removeEndpoint(tenantId, endpoint.id);
    return { endpoint: theSameOrRefused(earlier, input), created: false };
  }
  if (pastLimitInCreationOrder(after, endpoint.id, MAX_NOTIFICATION_ENDPOINTS)) {
    await deps.endpoints.removeEndpoint(tenantId, endpoint.id);
    throw new NotificationEndpointLimitError(
      `A tenant may have at most ${MAX_NOTIFICATION_ENDPOINTS} notification endpoints; others were added at the same time.`,
    );
  }
  return { endpoint, created: true };
};

/** Refuses (422 on `url`) an endpoint URL the target policy refuses, as a message's target. */
const assertEndpointTarget = (deps: Pick<EndpointDeps, 'targets'>, input: NotificationEndpointIn) => {
  const errors = targetErrors(deps.targets, input.url, 'url');
  if (errors.length > 0) throw new ValidationError(errors);
};

/**
 * `addNotificationEndpoint` made safe to repeat with an Idempotency-Key (idempotent-request.ts): the
 * key binds the request (URL, events, description) and the id of the endpoint it adds, chosen before.
 * The same request again adds nothing and answers with the endpoint (`created: false`): the one the
 * key added, or the one its URL had already when the first request came (which that request answered
 * with); the key with another request is a 422, where an add without a key is judged by its URL alone.
 * A request refused (409 `endpoint-exists`, the limit) releases its key. The URL is checked before the
 * key is claimed, so a URL refused binds nothing and the key can be used for the corrected request.
 * The tenant may remove the endpoint within the key's 24 h (`removable`): the same request again is
 * then refused (409 `state-conflict`, naming the endpoint it answered with, the one it added or its
 * URL's), and adds nothing: it was removed on purpose.
 */
export const addNotificationEndpointIdempotently = async (
  deps: EndpointDeps & { idempotency: IdempotencyDeps },
  tenantId: string,
  input: NotificationEndpointIn,
  idempotencyKey: string | undefined,
): Promise<AddedEndpoint> => {
  if (idempotencyKey === undefined) return addNotificationEndpoint(deps, tenantId, input);
  assertEndpointTarget(deps, input);
  const added = async (endpointId: string): Promise<AddedEndpoint | undefined> => {
    const all = await deps.endpoints.listEndpoints(tenantId);
    const endpoint =
      all.find((e) => e.id === endpointId) ?? all.find((e) => e.url === input.url && sameEndpoint(e, input));
    return endpoint && { endpoint, created: false };
  };
  const { results, created } = await runIdempotently<AddedEndpoint>(
    deps.idempotency,
    tenantId,
    { key: idempotencyKey, fingerprint: requestFingerprint('POST /v1/notification-endpoints', input) },
    [newNotificationEndpointId(deps.clock.now())],
    {
      load: (ids) => Promise.all(ids.map(added)),
      write: async ([endpointId], stored) => [
        stored[0] ?? (await addNotificationEndpoint(deps, tenantId, input, endpointId as string)),
      ],
      removable: {
        idsOf: (added) => added.map(({ endpoint }) => endpoint.id),
        named: ([endpointId]) => `the notification endpoint it answered with, ${endpointId},`,
      },
    },
  );
  const result = results[0] as AddedEndpoint;
  return { endpoint: result.endpoint, created: created && result.created };
};

/** The tenant's endpoint for the URL, when it is what was asked for; else the refusal naming it. */
const theSameOrRefused = (
  forUrl: NotificationEndpoint,
  input: Pick<NotificationEndpoint, 'events' | 'description'>,
): NotificationEndpoint => {
  if (sameEndpoint(forUrl, input)) return forUrl;
  throw new NotificationEndpointExistsError(
    `The endpoint ${forUrl.id} receives this URL's events already (${forUrl.events.join(', ')}); remove it first to add the URL with other events or another description.`,
  );
};

const findEndpoint = async (
  deps: { endpoints: NotificationEndpointStore },
  tenantId: string,
  endpointId: string,
): Promise<NotificationEndpoint> => {
  const found = NOTIFICATION_ENDPOINT_ID_PATTERN.test(endpointId)
    ? (await deps.endpoints.listEndpoints(tenantId)).find((e) => e.id === endpointId)
    : undefined;
  if (!found) throw new NotificationEndpointNotFoundError(endpointId);
  return found;
};

export const removeNotificationEndpoint = async (
  deps: Pick<NotificationEndpointDeps, 'endpoints'>,
  tenantId: string,
  endpointId: string,
): Promise<void> => {
  if (
    !NOTIFICATION_ENDPOINT_ID_PATTERN.test(endpointId) ||
    !(await deps.endpoints.removeEndpoint(tenantId, endpointId))
  ) {
    throw new NotificationEndpointNotFoundError(endpointId);
  }
};

/** Sends the endpoint a signed `notification.test` event now; returns the delivery (a message to follow). */
export const testNotificationEndpoint = async (
  deps: EventDeliveryDeps & { endpoints: NotificationEndpointStore },
  tenantId: string,
  endpointId: string,
  deliveryId?: string,
): Promise<Message> => {
  const endpoint = await findEndpoint(deps, tenantId, endpointId);
  const now = deps.clock.now();
  const [delivery] = await sendAccountEvent(
    deps,
    [endpoint],
    {
      type: TEST_EVENT_TYPE,
      // Each test is a delivery of its own.
      key: String(now),
      data: { endpointId: endpoint.id, text: 'A test event from Vigil: this endpoint receives signed events.' },
    },
    { ...(deliveryId !== undefined && { deliveryId }), mustStore: true },
  );
  return delivery as Message;
};

/**
 * `testNotificationEndpoint` made safe to repeat with an Idempotency-Key: the key binds the endpoint
 * and the id of the test delivery the request makes, chosen before. The same request again sends
 * nothing and answers with that delivery as it is now (`created: false`); the key with another
 * endpoint is a 422. An endpoint that does not exist is a 404 before the key is claimed.
 */
export const testNotificationEndpointIdempotently = async (
  deps: EventDeliveryDeps & { endpoints: NotificationEndpointStore },
  tenantId: string,
  endpointId: string,
  idempotencyKey: string | undefined,
): Promise<{ delivery: Message; created: boolean }> => {
  if (idempotencyKey === undefined)
    return { delivery: await testNotificationEndpoint(deps, tenantId, endpointId), created: true };
  await findEndpoint(deps, tenantId, endpointId);
  let sent = false;
  const { results, created } = await runIdempotently<Message>(
    deps,
    tenantId,
    {
      key: idempotencyKey,
      fingerprint: requestFingerprint('POST /v1/notification-endpoints/{endpointId}/test', { endpointId }),
    },
    [newMessageId(deps.clock.now())],
    {
      load: (ids) => Promise.all(ids.map((id) => deps.store.get(tenantId, id))),
      write: async ([deliveryId], stored) => {
        if (stored[0]) return [stored[0]];
        sent = true;
        return [await testNotificationEndpoint(deps, tenantId, endpointId, deliveryId)];
      },
    },
  );
  const delivery = results[0] as Message;
  // Found stored, not sent by this request: the request that stored it may have failed before it
  // handed it to a worker and noted it on the endpoint (its later tries to store it threw). Handed
  // on now if it still waits, due, and noted (both harmless when done already), not left to the sweep.
  if (!sent) {
    await sendDueAgain(deps, delivery, 'queued');
    await noteOnEndpoints(deps, [delivery]);
  }
  return { delivery, created };
};

/** The latest deliveries to an endpoint, newest first (those whose message has expired are left out). */
export const recentEndpointDeliveries = async (
  deps: Pick<NotificationEndpointDeps, 'endpoints' | 'store'>,
  tenantId: string,
  endpointId: string,
): Promise<MessageOut[]> => {
  await findEndpoint(deps, tenantId, endpointId);
  const ids = await deps.endpoints.recentDeliveries(tenantId, endpointId, RECENT_DELIVERIES_LIMIT);
  const messages = await Promise.all(ids.map((id) => deps.store.get(tenantId, id)));
  return messages.flatMap((m) => (m ? [toMessageOut(m, { withBody: true })] : []));
};

/** Where each of a message's callback deliveries stands (read alongside the message; expired ones omitted). */
export const callbackStatuses = async (store: MessageStore, message: Message): Promise<Map<string, MessageStatus>> => {
  const refs = message.callbacks ?? [];
  const found = await Promise.all(refs.map((ref) => store.get(message.tenantId, ref.id)));
  return new Map(found.flatMap((m) => (m ? [[m.id, m.status] as const] : [])));
};
