/** Creating messages: one, or a batch validated all-or-nothing; with optional idempotency keys. */

import type { FieldError } from '../errors';
import { MessageAlreadyExistsError, PayloadTooLargeError, ValidationError } from '../errors';
import { newMessageId } from '../ids';
import { placeMessage } from '../lifecycle';
import type { BodyKind, Message } from '../message';
import type { MessageIn } from '../schemas';
import { MAX_BODY_BYTES, MAX_DELAY_S } from '../schemas';
import { scheduledUsage } from '../usage';
import type { SchedulingDeps } from './deps';
import { dispatchMessages } from './dispatch';

/** A `sendAt` this far in the past is still delivered (now); further back is refused. */
export const PAST_TOLERANCE_MS = 60_000;
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface EncodedBody {
  body: string;
  bodyKind: BodyKind;
}

export const encodeBody = (body: unknown, path = 'body'): EncodedBody => {
  if (body === undefined) return { body: '', bodyKind: 'none' };
  const encoded =
    typeof body === 'string'
      ? { body, bodyKind: 'text' as const }
      : { body: JSON.stringify(body), bodyKind: 'json' as const };
  const bytes = Buffer.byteLength(encoded.body);
  if (bytes > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`${path} is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} bytes (256 KiB).`);
  }
  return encoded;
};

/**
 * When a message is due, from `sendAt` or `delay`. Refuses times more than a minute past or more
 * than a year ahead; `sendAt` up to a minute late is delivered now.
 */
export const resolveSendAt = (
  input: { sendAt?: string; delay?: number },
  now: number,
  pathPrefix = '',
): { sendAt: number } | { error: FieldError } => {
  if (input.delay !== undefined) return { sendAt: now + Math.round(input.delay * 1000) };
  const path = `${pathPrefix}sendAt`;
  const sendAt = Date.parse(input.sendAt ?? '');
  if (Number.isNaN(sendAt)) return { error: { path, message: 'must be an RFC 3339 date-time' } };
  if (sendAt < now - PAST_TOLERANCE_MS) {
    return { error: { path, message: 'is more than 60 seconds in the past' } };
  }
  if (sendAt > now + MAX_DELAY_S * 1000) return { error: { path, message: 'is more than a year ahead' } };
  return { sendAt };
};

const buildMessage = (
  tenantId: string,
  input: MessageIn,
  sendAt: number,
  now: number,
  deps: SchedulingDeps,
  bodyPath: string,
) => {
  const dueAt = Math.max(sendAt, now);
  const message: Message = {
    id: newMessageId(now),
    tenantId,
    status: 'queued',
    url: input.url,
    method: input.method,
    headers: input.headers,
    ...encodeBody(input.body, bodyPath),
    sendAt,
    dueAt,
    createdAt: now,
    updatedAt: now,
    maxAttempts: input.retry?.maxAttempts ?? 8,
    timeoutMs: input.timeoutMs,
    metadata: input.metadata,
    attempts: [],
    roundStart: 0,
    version: 0,
  };
  return placeMessage(message, now, deps.settings, 'fresh');
};

/** Builds every message of a request, reporting all time errors at once (nothing is stored on error). */
const buildAll = (
  deps: SchedulingDeps,
  tenantId: string,
  inputs: readonly MessageIn[],
  pathOf: (i: number) => string,
) => {
  const now = deps.clock.now();
  const errors: FieldError[] = [];
  const messages: Message[] = [];
  inputs.forEach((input, i) => {
    const resolved = resolveSendAt(input, now, pathOf(i));
    if ('error' in resolved) errors.push(resolved.error);
    else messages.push(buildMessage(tenantId, input, resolved.sendAt, now, deps, `${pathOf(i)}body`));
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return messages;
};

export interface ScheduleResult {
  message: Message;
  /** False when an idempotency key matched an earlier request: nothing new was stored. */
  created: boolean;
}

export const scheduleMessage = async (
  deps: SchedulingDeps,
  tenantId: string,
  input: MessageIn,
  idempotencyKey?: string,
): Promise<ScheduleResult> => {
  const [built] = buildAll(deps, tenantId, [input], () => '');
  let message = built as Message;
  if (idempotencyKey !== undefined) {
    const claim = await deps.store.claimIdempotencyKey(
      tenantId,
      idempotencyKey,
      message.id,
      deps.clock.now(),
      IDEMPOTENCY_TTL_MS,
    );
    if (!claim.claimed) {
      const earlier = await deps.store.get(tenantId, claim.messageId);
      if (earlier) return { message: earlier, created: false };
      // The earlier request claimed the key and died before storing: finish its work.
      message = { ...message, id: claim.messageId };
    }
    message = { ...message, idempotencyKey };
  }
  await deps.quota?.assertWithin(tenantId, 1);
  try {
    await deps.store.insert(message);
  } catch (error) {
    if (!(error instanceof MessageAlreadyExistsError) || idempotencyKey === undefined) throw error;
    const winner = await deps.store.get(tenantId, message.id);
    if (winner) return { message: winner, created: false };
    throw error;
  }
  await dispatchMessages(deps, [message]);
  await meterScheduled(deps, [message]);
  return { message, created: true };
};

/**
 * One `scheduled` event per stored message, keyed by message id and round: a crash before this
 * call is made up for by the echo that goes with the message's first attempt (deliver-message.ts).
 */
const meterScheduled = (deps: SchedulingDeps, messages: readonly Message[]) =>
  deps.meter?.record(messages.map(scheduledUsage));

/** All-or-nothing validation; then every message is stored before any is dispatched. */
export const scheduleBatch = async (
  deps: SchedulingDeps,
  tenantId: string,
  inputs: readonly MessageIn[],
): Promise<Message[]> => {
  const messages = buildAll(deps, tenantId, inputs, (i) => `messages.${i}.`);
  await deps.quota?.assertWithin(tenantId, messages.length);
  for (let i = 0; i < messages.length; i += 25) {
    await Promise.all(messages.slice(i, i + 25).map((m) => deps.store.insert(m)));
  }
  await dispatchMessages(deps, messages);
  await meterScheduled(deps, messages);
  return messages;
};
