'use server';

/**
 * What the pages change, as server actions: each calls the Vigil API with the user's session and
 * hands back data or an error a person can read (never raw JSON).
 */
import { revalidatePath } from 'next/cache';
import { unstable_rethrow } from 'next/navigation';
import type {
  ApiKeyCreated,
  ApiKeyNotShown,
  BulkJobIn,
  NotificationEndpoint,
  NotificationEventType,
  Vigil,
} from '@vigil/client';
import { VigilConflictError, VigilKeyNotShownError } from '@vigil/client';
import { ApiProblem, withVigil } from './api';
import { checkPayload, plainData } from './format';
import { problemWords } from './problem-words';
import type { ActionFailure, ActionResult } from './types';

const readable = (error: unknown): ActionFailure => {
  if (error instanceof ApiProblem) {
    // In plain words, what happened and what to do (not "Forbidden", not "try again after Retry-After"),
    // each bad field named, and when a used-up quota renews.
    const words = problemWords(error.problem, 'action');
    const { renewsAt } = error.problem;
    return { ok: false, error: `${words.title}. ${words.detail}`, ...(renewsAt && { renewsAt }) };
  }
  return { ok: false, error: 'Something went wrong on our side. Please try again.' };
};

const run = async <T>(work: (vigil: Vigil) => Promise<T>, paths: string[]): Promise<ActionResult<T>> => {
  try {
    const data = plainData(await withVigil(work));
    for (const path of paths) revalidatePath(path);
    return { ok: true, data };
  } catch (error) {
    // A redirect (to sign in again) is not an error to show.
    unstable_rethrow(error);
    return readable(error);
  }
};

/**
 * Makes a key; `idempotencyKey` is made when the dialog opens (newIdempotencyKey), so a second click
 * after an answer that came too late, like the client's own retries, makes one key, not two. That
 * repeat cannot show the key's secret (Vigil keeps its hash only): it answers `notShown`, the key
 * made, which the dialog offers to revoke, since nobody may hold its secret.
 */
export const createApiKey = async (name: string, idempotencyKey: string) =>
  run(
    async (vigil): Promise<{ created: ApiKeyCreated } | { notShown: ApiKeyNotShown }> => {
      try {
        return { created: await vigil.keys.create({ name }, { idempotencyKey }) };
      } catch (error) {
        if (error instanceof VigilKeyNotShownError) return { notShown: error.apiKey };
        throw error;
      }
    },
    ['/keys', '/'],
  );

export const revokeApiKey = async (id: string) => run((vigil) => vigil.keys.revoke(id), ['/keys', '/']);

export const cancelMessage = async (id: string) =>
  run((vigil) => vigil.messages.cancel(id), [`/messages/${id}`, '/messages']);

/**
 * Makes a retrying message's next attempt now; `idempotencyKey` is made once per confirmation
 * (newIdempotencyKey), so a second click after an answer that came too late, like the client's own
 * retries, makes one attempt, not two (even once that attempt has failed again).
 */
export const retryMessage = async (id: string, idempotencyKey: string) =>
  run((vigil) => vigil.messages.retry(id, { idempotencyKey }), [`/messages/${id}`, '/messages']);

/**
 * Redelivers a finished message; `idempotencyKey` is made once per confirmation (newIdempotencyKey),
 * so a second click after an answer that came too late, like the client's own retries, starts one
 * round, not two.
 */
export const redeliverMessage = async (id: string, idempotencyKey: string) =>
  run((vigil) => vigil.messages.redeliver(id, { idempotencyKey }), [`/messages/${id}`, '/messages']);

/**
 * Starts a bulk cancel or redeliver of the selected messages (`{ ids }`) or those a filter selects;
 * `idempotencyKey` is made once per confirmation, so a double submit starts one job.
 */
export const startBulkJob = async (action: 'cancel' | 'redeliver', selection: BulkJobIn, idempotencyKey: string) =>
  run(
    (vigil) =>
      action === 'cancel'
        ? vigil.messages.cancelMany(selection, { idempotencyKey })
        : vigil.messages.redeliverMany(selection, { idempotencyKey }),
    [],
  );

/** Where a bulk job stands (the progress the list shows until it ends). */
export const readBulkJob = async (id: string) => run((vigil) => vigil.jobs.get(id), []);

/** `sendAt` is an exact instant, or a wall time read in `timezone` (which the message then keeps). */
export const rescheduleMessage = async (id: string, { sendAt, timezone }: { sendAt: string; timezone: string }) =>
  run((vigil) => vigil.messages.update(id, { sendAt, timezone }), [`/messages/${id}`, '/messages']);

/**
 * Rotates the signing secret; `idempotencyKey` is made when the dialog opens, so a second
 * confirmation after a late answer rotates once (and spends one of the day's three rotations),
 * answering the secret that signs now.
 */
export const rotateSigningSecret = async (idempotencyKey: string) =>
  run((vigil) => vigil.signingSecret.rotate({ idempotencyKey }), ['/settings']);

/**
 * Schedules a test webhook to `url`, due now, with `payload` (JSON text, checked again here: the
 * form's own check runs in the browser) as its body, sent as typed: "b" before "1", an escape and
 * a 20-digit id as written; the message page then shows how it went.
 * `idempotencyKey` is the form's for this URL and payload (newIdempotencyKey), so sending again
 * after an answer that came too late makes one message, not two.
 */
export const sendTestWebhook = async (url: string, payload: string, idempotencyKey: string) => {
  const checked = checkPayload(payload);
  if (!checked.ok) return checked;
  return run(
    (vigil) =>
      vigil.messages.create({ url, in: 0, body: checked.body, metadata: { source: 'web-app-test' }, idempotencyKey }),
    ['/messages', '/'],
  );
};

/**
 * Adds a notification endpoint receiving `events`; the settings page then lists it. `idempotencyKey`
 * is the form's for this URL and these events, so adding again after a late answer adds one.
 */
/**
 * Adds an endpoint with the form's Idempotency-Key (kept while its URL and events are, until one is
 * added). The endpoint an earlier click added with that key and that was removed since is not added
 * again (the API's 409 `state-conflict`): the action answers `keySpent`, in words, for the form to
 * show and to take a new key, so the next click adds the endpoint anew.
 */
export const addNotificationEndpoint = async (url: string, events: NotificationEventType[], idempotencyKey: string) =>
  run(
    async (vigil): Promise<{ added: NotificationEndpoint } | { keySpent: string }> => {
      try {
        return { added: await vigil.notificationEndpoints.add({ url, events }, { idempotencyKey }) };
      } catch (error) {
        if (error instanceof VigilConflictError && error.is('state-conflict'))
          return {
            keySpent:
              'An earlier click added this endpoint, and it was removed since, so it was not added again. Click "Add endpoint" again to add it anew.',
          };
        throw error;
      }
    },
    ['/settings'],
  );

export const removeNotificationEndpoint = async (id: string) =>
  run((vigil) => vigil.notificationEndpoints.remove(id), ['/settings']);

/**
 * Sends the endpoint a signed test event now; its delivery shows under the endpoint.
 * `idempotencyKey` stays until a test is sent, so a second click after a late answer sends one.
 */
export const testNotificationEndpoint = async (id: string, idempotencyKey: string) =>
  run((vigil) => vigil.notificationEndpoints.test(id, { idempotencyKey }), ['/settings']);
