/**
 * Creating messages: one, or a batch, all-or-nothing; with optional idempotency keys.
 *
 * Every message of a request is checked (times, headers, sizes) before the first write. The writes
 * are conditional puts; if one fails, those already made are deleted again before the error is
 * answered, and nothing is dispatched until every write has succeeded, so nothing of a failed
 * request is ever delivered. An Idempotency-Key binds the request's fingerprint and message ids:
 * the same request again gets the first result (200), a different one 422, and a retry of a
 * request that failed or died part-way finishes it with the same ids.
 */

import type { BackoffPolicy } from '../backoff';
import { retryDelayMs } from '../backoff';
import type { FieldError } from '../errors';
import { MessageAlreadyExistsError, ValidationError } from '../errors';
import { stringifyExactJson } from '../exact-json';
import { messageIdTime, newMessageId } from '../ids';
import { isJsonText } from '../json-text';
import { placeMessage } from '../lifecycle';
import type { BodyKind, Message } from '../message';
import type { IdempotentSettlement } from '../ports';
import { headerFieldErrors, sizeError, tooLargeError } from '../message-limits';
import { fingerprintRequest } from '../request-fingerprint';
import type { MessageIn } from '../schemas';
import { MAX_DELAY_S, NO_OFFSET_NO_ZONE } from '../schemas';
import { targetErrors } from '../targets';
import { hasUtcOffset, isKnownTimeZone, localTimeOf, notBeforeSubMillisecond, wallTimeToInstant } from '../time-zones';
import type { QuotaReservation } from '../usage';
import { countMessagesAgainstQuota, scheduledUsage, withReleaseOnFailure } from '../usage';
import type { SchedulingDeps } from './deps';
import { dispatchMessages } from './dispatch';
import type { IdempotentRequest } from './idempotent-request';
import { isBoundToRequest, runIdempotently } from './idempotent-request';

/** A `sendAt` this far in the past is still delivered (now); further back is refused. */
export const PAST_TOLERANCE_MS = 60_000;
/** Writes in flight at once while storing a batch. */
const INSERT_CONCURRENCY = 25;

/** The routes whose requests are fingerprinted for their Idempotency-Key. */
const CREATE_ROUTE = 'POST /v1/messages';
const BATCH_ROUTE = 'POST /v1/messages/batch';

export interface EncodedBody {
  body: string;
  bodyKind: BodyKind;
}

/**
 * The body exactly as it will be sent: a string as given, a JsonText (a request's body) as its text,
 * any other JSON value (Vigil's own, a callback's) serialised with its numbers as written.
 */
export const encodeBody = (body: unknown): EncodedBody => {
  if (body === undefined) return { body: '', bodyKind: 'none' };
  if (isJsonText(body)) return { body: body.text, bodyKind: 'json' };
  return typeof body === 'string' ? { body, bodyKind: 'text' } : { body: stringifyExactJson(body), bodyKind: 'json' };
};

/** When a message is due, and the zone it was scheduled in with the local time of that instant. */
export interface ResolvedSendAt {
  sendAt: number;
  timezone?: string;
  /** `sendAt` as a wall time in `timezone`, with its offset (`2026-03-29T03:30:00.000+02:00`). */
  localSendAt?: string;
}

/**
 * When a message is due, from `sendAt` or `delay`; a `sendAt` without an offset is a wall time in
 * `timezone` (or, on a PATCH, in the zone the message already has), resolved by the gap and
 * overlap rules of time-zones.ts. A `sendAt` with an offset is that instant whatever the zone: the
 * zone is then kept to show it in. Refuses times more than a minute past or more than 365 days ahead
 * (of the resolved instant); `sendAt` up to a minute late is delivered now.
 */
export const resolveSendAt = (
  input: { sendAt?: string; delay?: number; timezone?: string },
  now: number,
  pathPrefix = '',
  currentZone?: string,
): ResolvedSendAt | { error: FieldError } => {
  const zone = input.timezone ?? currentZone;
  if (input.timezone !== undefined && !isKnownTimeZone(input.timezone)) {
    return { error: { path: `${pathPrefix}timezone`, message: `unknown time zone ${JSON.stringify(input.timezone)}` } };
  }
  const withZone = (sendAt: number): ResolvedSendAt =>
    zone === undefined ? { sendAt } : { sendAt, timezone: zone, localSendAt: localTimeOf(sendAt, zone) };
  // Whole milliseconds, never fewer than the delay names (to the microsecond, past float noise).
  if (input.delay !== undefined) return withZone(now + Math.ceil(Math.round(input.delay * 1e6) / 1e3));
  const path = `${pathPrefix}sendAt`;
  const given = input.sendAt ?? '';
  let sendAt: number | undefined;
  if (hasUtcOffset(given)) sendAt = Date.parse(given);
  else if (zone === undefined) return { error: { path, message: NO_OFFSET_NO_ZONE } };
  else sendAt = wallTimeToInstant(given, zone);
  if (sendAt === undefined || Number.isNaN(sendAt))
    return { error: { path, message: 'must be an RFC 3339 date-time' } };
  sendAt = notBeforeSubMillisecond(given, sendAt);
  // A wall time names its instant only through the zone: say which instant was judged, and against
  // which bound (a time meant as local but written with Z, say, is seen at a glance).
  const judged = hasUtcOffset(given) ? undefined : `${new Date(sendAt).toISOString()} in ${zone}`;
  const refused = (limit: string, bound: string) => {
    const message = `${limit} (${judged === undefined ? bound : `${judged}; ${bound}`})`;
    return { error: { path, message } };
  };
  if (sendAt < now - PAST_TOLERANCE_MS) {
    return refused('is more than 60 seconds in the past', `it is now ${new Date(now).toISOString()}`);
  }
  // 365 days, not a calendar year: a year that holds a February 29th is a day longer, so the
  // latest instant is named.
  const latest = now + MAX_DELAY_S * 1000;
  if (sendAt > latest) return refused('is more than 365 days ahead', `the latest is ${new Date(latest).toISOString()}`);
  return withZone(sendAt);
};

const buildMessage = (
  tenantId: string,
  input: MessageIn,
  body: EncodedBody,
  { sendAt, timezone, localSendAt }: ResolvedSendAt,
  now: number,
  deps: SchedulingDeps,
) => {
  const dueAt = Math.max(sendAt, now);
  const message: Message = {
    id: newMessageId(now),
    tenantId,
    status: 'queued',
    url: input.url,
    method: input.method,
    headers: input.headers,
    ...body,
    sendAt,
    ...(timezone !== undefined && { timezone, localSendAt }),
    dueAt,
    createdAt: now,
    updatedAt: now,
    maxAttempts: input.retry?.maxAttempts ?? 8,
    timeoutMs: input.timeoutMs,
    metadata: input.metadata,
    ...(input.labels !== undefined && input.labels.length > 0 && { labels: input.labels }),
    ...(input.callback !== undefined && { callback: input.callback }),
    ...(input.flowControl !== undefined && { flowControl: input.flowControl }),
    attempts: [],
    roundStart: 0,
    version: 0,
  };
  return placeMessage(message, now, deps.settings, 'fresh');
};

/**
 * Builds every message of a request, checking all of them before anything is stored: every time
 * and header error at once (422), else every message over the size limit (413). Times (`sendAt`,
 * `delay`) are judged at `judgedAt`: now, or for the retry of a request stored part-way, the
 * instant its first attempt was (see buildOrReplay).
 */
const buildAll = (
  deps: SchedulingDeps,
  tenantId: string,
  inputs: readonly MessageIn[],
  pathOf: (i: number) => string,
  judgedAt?: number,
) => {
  const now = deps.clock.now();
  const errors: FieldError[] = [];
  const tooLarge: FieldError[] = [];
  const messages: Message[] = [];
  inputs.forEach((input, i) => {
    const prefix = pathOf(i);
    const body = encodeBody(input.body);
    errors.push(...headerFieldErrors(input.headers, prefix));
    errors.push(...targetErrors(deps.targets, input.url, `${prefix}url`));
    if (input.callback) errors.push(...targetErrors(deps.targets, input.callback.url, `${prefix}callback.url`));
    const oversize = sizeError({ ...input, ...body }, prefix.replace(/\.$/, ''));
    if (oversize) tooLarge.push(oversize);
    const resolved = resolveSendAt(input, judgedAt ?? now, prefix);
    if ('error' in resolved) errors.push(resolved.error);
    else messages.push(buildMessage(tenantId, input, body, resolved, now, deps));
  });
  if (errors.length > 0) throw new ValidationError(errors);
  if (tooLarge.length > 0) throw tooLargeError(tooLarge);
  return messages;
};

export interface ScheduleResult {
  message: Message;
  /** False when an idempotency key matched an earlier request: nothing new was stored. */
  created: boolean;
}

export interface BatchResult {
  messages: Message[];
  /** False when an idempotency key matched an earlier batch: nothing new was stored. */
  created: boolean;
}

export const scheduleMessage = async (
  deps: SchedulingDeps,
  tenantId: string,
  input: MessageIn,
  idempotencyKey?: string,
): Promise<ScheduleResult> => {
  const idempotency =
    idempotencyKey === undefined ? undefined : { key: idempotencyKey, ...fingerprintRequest(CREATE_ROUTE, input) };
  const built = await buildOrReplay(deps, tenantId, idempotency, (judgedAt) =>
    buildAll(deps, tenantId, [input], () => '', judgedAt),
  );
  if ('replay' in built) return { message: built.replay[0] as Message, created: false };
  const { messages, created } = await createMessages(deps, tenantId, built.messages, idempotency);
  return { message: messages[0] as Message, created };
};

/** All-or-nothing: every message checked, then all stored (or none), then dispatched. */
export const scheduleBatch = async (
  deps: SchedulingDeps,
  tenantId: string,
  inputs: readonly MessageIn[],
  idempotencyKey?: string,
): Promise<BatchResult> => {
  const idempotency =
    idempotencyKey === undefined
      ? undefined
      : { key: idempotencyKey, ...fingerprintRequest(BATCH_ROUTE, { messages: inputs }) };
  const built = await buildOrReplay(deps, tenantId, idempotency, (judgedAt) =>
    buildAll(deps, tenantId, inputs, (i) => `messages.${i}.`, judgedAt),
  );
  if ('replay' in built) return { messages: built.replay, created: false };
  return createMessages(deps, tenantId, built.messages, idempotency);
};

/**
 * Builds the request's messages (times judged now); but a request refused for its times (a
 * `sendAt` now more than 60 s past, say) that repeats one already bound to its Idempotency-Key is
 * that request's retry, however late it comes: it gets the first result again, or, if the first
 * stored only part of it (it died part-way, or its rollback kept messages the sweep had handed to
 * a worker: those may be delivered), its times are judged as the first attempt's were, at the
 * instant it was made (its first message id's time), and the retry finishes it. Refusing it then
 * would tell the client none was scheduled while some are delivered. Nothing stored: refused.
 */
const buildOrReplay = async (
  deps: SchedulingDeps,
  tenantId: string,
  idempotency: IdempotentRequest | undefined,
  build: (judgedAt?: number) => Message[],
): Promise<{ messages: Message[] } | { replay: Message[] }> => {
  try {
    return { messages: build() };
  } catch (error) {
    if (idempotency === undefined || !(error instanceof ValidationError)) throw error;
    const bound = await deps.store.findIdempotencyKey(tenantId, idempotency.key, deps.clock.now());
    if (bound?.fingerprint === undefined || !isBoundToRequest(idempotency, bound.fingerprint)) throw error;
    const stored = await Promise.all(bound.messageIds.map((id) => deps.store.get(tenantId, id)));
    if (stored.every((m) => m !== undefined)) return { replay: stored };
    const [first] = bound.messageIds;
    if (first === undefined || stored.every((m) => m === undefined)) throw error;
    return { messages: build(messageIdTime(first)) };
  }
};

/**
 * One `scheduled` event per stored message, keyed by message id and round (`sch_<id>_0`): a crash
 * before this call is made up for by the echo that goes with the message's first attempt
 * (deliver-message.ts), or with its cancel (manage-message.ts); a repeat counts nothing.
 */
export const meterScheduled = (deps: SchedulingDeps, messages: readonly Message[]) =>
  deps.meter?.record(messages.map(scheduledUsage));

const createMessages = async (
  deps: SchedulingDeps,
  tenantId: string,
  built: Message[],
  idempotency: IdempotentRequest | undefined,
): Promise<BatchResult> => {
  if (idempotency !== undefined) return createIdempotently(deps, tenantId, built, idempotency);
  // Counted in the month they were created in (their `scheduled` event's), whenever the check runs.
  const counted = await countMessagesAgainstQuota(deps.quota, tenantId, built);
  // None stored (all or nothing): nothing counts. All stored (a worker took some while a write was
  // failing, and the rest were stored again): all count, and the request is answered as made.
  const taken = new Set(await insertAllOrNothing(deps, built, { sameIdIsOurs: false, counted }));
  // Once stored they count, dispatched or not (the sweep sends them); one a worker took is under way.
  const waiting = built.filter((m) => !taken.has(m.id));
  await dispatchMessages(deps, waiting);
  await meterScheduled(deps, built);
  return { messages: taken.size === 0 ? built : await asStored(deps, built, taken), created: true };
};

/** The messages, those in `taken` as stored now (a worker has them): the answer shows what is. */
const asStored = (deps: SchedulingDeps, built: readonly Message[], taken: ReadonlySet<string>) =>
  Promise.all(
    built.map(async (m) =>
      taken.has(m.id) ? ((await deps.store.get(m.tenantId, m.id).catch(() => undefined)) ?? m) : m,
    ),
  );

/**
 * Binds the key to this request, or answers from the request it is bound to (idempotent-request.ts).
 * Writing under the claimed key stores the missing messages (all or none), then dispatches and
 * meters all of the request's messages.
 */
const createIdempotently = async (
  deps: SchedulingDeps,
  tenantId: string,
  built: Message[],
  idempotency: IdempotentRequest,
): Promise<BatchResult> => {
  const fresh = built.map((m) => ({ ...m, idempotencyKey: idempotency.key }));
  const { results, created } = await runIdempotently(
    deps,
    tenantId,
    idempotency,
    fresh.map((m) => m.id),
    {
      load: (ids) => Promise.all(ids.map((id) => deps.store.get(tenantId, id))),
      write: async (ids, stored, withdraw) => {
        // Taking over a request that failed part-way: its ids, and only what it did not store.
        const all = fresh.map((m, i) => stored[i] ?? { ...m, id: ids[i] as string });
        const missing = all.filter((_, i) => stored[i] === undefined);
        // Counted by the attempt that meters them: one that fails before (its write, a dispatch) gives
        // them back, and the retry that takes the request over counts them again.
        const counted = await countMessagesAgainstQuota(deps.quota, tenantId, all);
        return withReleaseOnFailure(counted, async () => {
          await insertAllOrNothing(deps, missing, { sameIdIsOurs: true, withdraw });
          await dispatchMessages(deps, all);
          // Nothing of these was metered before: a request meters only after all its writes succeeded.
          await meterScheduled(deps, all);
          return all;
        });
      },
    },
  );
  return { messages: results, created };
};

/**
 * Inserts every message, or none: writes run a chunk at a time, and after a failure the ones
 * that may have been written are deleted again before the error is thrown: those written, and
 * those whose write threw (a timeout or a lost answer: it may have landed all the same). An id
 * that exists already is never deleted: with `sameIdIsOurs` it was written by another request
 * under the same idempotency key, and without, the write was refused, not made.
 *
 * Under a key, `withdraw` decides first (idempotent-request.ts): when a retry has kept the messages
 * as its answer, they are made (all stored, or the retry would not have kept them), and this request
 * is done too; when the key is another request's now, they stay, and it throws.
 *
 * Without a key, a message a worker took meanwhile (the sweep found it overdue while its write was
 * failing) is kept by the rollback: it may go out, so the request cannot be none of its messages any
 * more, and a 503 would have its client send it again (a second delivery). It is made all of them
 * instead: the others are written again (once), and the request succeeds, answering with the taken
 * ones as stored (their ids are returned). Only if that write fails too does the error stand.
 *
 * Given the quota's reservation for them (`counted`), a failure gives it back but for the messages
 * left stored (kept by the rollback, or all it could not remove): those go out, and count.
 */
const insertAllOrNothing = async (
  deps: SchedulingDeps,
  messages: readonly Message[],
  {
    sameIdIsOurs,
    withdraw,
    counted,
  }: {
    sameIdIsOurs: boolean;
    withdraw?: () => Promise<IdempotentSettlement | undefined>;
    counted?: QuotaReservation;
  },
): Promise<string[]> => {
  const { mayBeWritten, failure } = await insertEach(deps, messages, sameIdIsOurs);
  if (failure === undefined) return [];
  if (mayBeWritten.length === 0) {
    counted?.release();
    throw failure.error;
  }
  if (withdraw !== undefined) {
    const decided = await settleFailedWrite(deps, mayBeWritten, withdraw);
    if (decided === 'kept') return [];
    if (decided === 'withdrawn') await rollBackInserts(deps, mayBeWritten);
    throw failure.error;
  }
  const kept = await rollBackInserts(deps, mayBeWritten);
  if (kept === undefined || kept.length === 0) {
    counted?.release(kept?.length ?? mayBeWritten.length);
    throw failure.error;
  }
  const rest = messages.filter((m) => !kept.includes(m.id));
  const again = await insertEach(deps, rest, true);
  if (again.failure === undefined) {
    deps.log.warn('a request failed part-way after a worker took some of its messages; the rest were stored again', {
      tenantId: messages[0]?.tenantId,
      takenByWorker: kept.slice(0, 100),
      storedAgain: rest.length,
    });
    return kept;
  }
  const keptAgain = again.mayBeWritten.length === 0 ? [] : await rollBackInserts(deps, again.mayBeWritten);
  counted?.release(kept.length + (keptAgain?.length ?? again.mayBeWritten.length));
  throw failure.error;
};

/**
 * Writes the messages, a chunk at a time, until a chunk has a failure: the first failure, and the
 * messages that may be written (written, or whose write threw: it may have landed all the same).
 */
const insertEach = async (
  deps: SchedulingDeps,
  messages: readonly Message[],
  sameIdIsOurs: boolean,
): Promise<{ mayBeWritten: Message[]; failure?: { error: unknown } }> => {
  const mayBeWritten: Message[] = [];
  let failure: { error: unknown } | undefined;
  for (let i = 0; i < messages.length && failure === undefined; i += INSERT_CONCURRENCY) {
    const chunk = messages.slice(i, i + INSERT_CONCURRENCY);
    // Every write of the chunk settles before a rollback starts, so none lands after it.
    const results = await Promise.allSettled(chunk.map((m) => deps.store.insert(m)));
    results.forEach((result, j) => {
      const message = chunk[j] as Message;
      if (result.status === 'fulfilled') mayBeWritten.push(message);
      else if (result.reason instanceof MessageAlreadyExistsError) {
        if (!sameIdIsOurs) failure ??= { error: result.reason };
      } else {
        mayBeWritten.push(message);
        failure ??= { error: result.reason };
      }
    });
  }
  return { mayBeWritten, failure };
};

/**
 * What becomes of the messages a keyed request's failed write may have stored (`withdraw`):
 * `withdrawn` (deleted), `kept` (a retry answered with them), or undefined (they stay: the key is
 * another request's now, or the withdrawal failed).
 */
const settleFailedWrite = async (
  deps: SchedulingDeps,
  mayBeWritten: readonly Message[],
  withdraw: () => Promise<IdempotentSettlement | undefined>,
): Promise<IdempotentSettlement | undefined> => {
  const tenantId = mayBeWritten[0]?.tenantId;
  const decided = await withdraw().catch((error: unknown) => {
    deps.log.warn('a request failed part-way; its messages could not be withdrawn, so they stay', {
      tenantId,
      error: String(error),
    });
    return undefined;
  });
  if (decided === 'kept') {
    deps.log.warn('a request failed part-way; a retry with its key answered with its messages: they are made', {
      tenantId,
    });
  } else if (decided === undefined) {
    deps.log.warn('a request failed part-way; a retry with its key took the key over: its messages stay', {
      tenantId,
    });
  }
  return decided;
};

const ROLLBACK_TRIES = 3;
/** The rollback's pauses between tries: 100–200 ms, then 200–400 ms. */
const ROLLBACK_BACKOFF: BackoffPolicy = { baseMs: 200, factor: 2, capMs: 400 };

/**
 * Deletes the messages a failed request may have stored (retrying a little); they were never
 * acknowledged. A delete of one whose write never landed finds nothing and passes. One a worker
 * took meanwhile (the sweep found it overdue while the request was still failing) is kept: it may
 * have been sent, and is not written and sent again (insertAllOrNothing). Returns the ids of those
 * kept, or undefined when the rollback failed (any may be left stored).
 */
const rollBackInserts = async (
  deps: SchedulingDeps,
  mayBeWritten: readonly Message[],
): Promise<string[] | undefined> => {
  const [first] = mayBeWritten;
  if (first === undefined) return [];
  for (let attempt = 1; ; attempt += 1) {
    try {
      const kept = await deps.store.removeUnchanged(mayBeWritten);
      deps.log.warn('a request failed part-way; the messages it may have stored were deleted', {
        tenantId: first.tenantId,
        // Deletes that passed: of messages stored, or of writes that never landed (nothing to delete).
        deleted: mayBeWritten.length - kept.length,
        ...(kept.length > 0 && { keptTakenByWorker: kept.slice(0, 100) }),
      });
      return kept;
    } catch (error) {
      if (attempt >= ROLLBACK_TRIES) {
        deps.log.error('a request failed part-way and its stored messages could not be removed', {
          tenantId: first.tenantId,
          messageIds: mayBeWritten.slice(0, 100).map((m) => m.id),
          error: String(error),
        });
        return undefined;
      }
      await deps.clock.sleepUntil(deps.clock.now() + retryDelayMs(attempt, ROLLBACK_BACKOFF, deps.random?.() ?? 0.5));
    }
  }
};
