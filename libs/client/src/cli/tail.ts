/**
 * `vigil tail`: prints each delivery attempt as it happens, until Ctrl-C. The API lists messages
 * newest first with a status filter and no "changed since", so tail polls what can change soon:
 * the newest page, and the messages that are `queued`, `delivering` or `retrying` (one listing of
 * the three: a far-future message becomes `queued` before it is sent); a message it saw pending
 * that leaves those lists is read once more by id to catch its last attempt. Each poll costs 2
 * list calls while fewer than 100 messages are pending (up to 300 are followed), plus one per
 * message that finished: at the default 2 s, one request a second. An older message that is
 * neither pending nor among the newest when a poll lists them (one redelivered and delivered
 * between two polls) is not seen: the API has no cheap "changed since" (updatedSince is checked on
 * each message read, a scan of the tenant's messages every poll).
 *
 * A line's status is where the attempt it prints left the message (`stateAfter`), not where a later
 * read finds it: a message redelivered since is `queued` or `delivering` again beside an attempt
 * that got a 200. Attempts are printed up to the message's count as its listing read it: one recorded
 * since (the attempt list is read after the listing) waits for the next poll, with the status that
 * read has. Finished messages that left the lists are remembered (the latest FINISHED_REMEMBERED),
 * so one redelivered later does not have its attempts printed again.
 */
import type { Api, Attempt, Message, MessageFilter } from './api';
import { VigilRateLimitError } from '../errors';
import { formatDuration } from './duration';
import { listMessages } from './messages';
import type { Where } from './problems';
import { toCliError } from './problems';
import type { Output } from './output';
import { latenessText, outcomeText, statusText, timeText } from './output';
import { EXIT } from './exit-codes';
import { sleep } from './sleep';

const FINAL = new Set(['delivered', 'failed', 'cancelled']);
/** At most this many finished messages are re-read per poll (the rest on the next ones). */
const REREADS_PER_POLL = 20;
/** Pending messages followed per poll at most (read in pages of 100). */
const PENDING_FOLLOWED = 300;
/** Finished messages that left the lists whose printed attempts are remembered, the latest so many. */
const FINISHED_REMEMBERED = 10_000;

const succeeded = (attempt: Attempt) =>
  attempt.statusCode !== undefined && attempt.statusCode >= 200 && attempt.statusCode < 300;

/**
 * The status `attempt` left `message` in: `delivered` for a 2xx answer; for a failure followed by
 * `next`, `retrying` when it is of the same round and `failed` when a redeliver came between (an
 * attempt recorded before Vigil kept rounds is of round 0 when the next one is: `retrying`; else
 * undefined, as it cannot be told); for the message's latest, its status as read,
 * but `failed` when it waits for a redeliver's first attempt (`queued` or `scheduled` with attempts
 * made: a failure ended the round before it). A failed latest attempt beside `delivering` is the
 * next attempt under way.
 */
export const stateAfter = (message: Message, attempt: Attempt, next?: Attempt): Message['status'] | undefined => {
  if (succeeded(attempt)) return 'delivered';
  if (next !== undefined) {
    // Rounds only grow: a next attempt of round 0 says the one before it was of round 0 too.
    const round = attempt.round ?? (next.round === 0 ? 0 : undefined);
    if (round === undefined || next.round === undefined) return undefined;
    return next.round === round ? 'retrying' : 'failed';
  }
  return message.status === 'queued' || message.status === 'scheduled' ? 'failed' : message.status;
};

export interface TailOptions {
  intervalMs: number;
  signal: AbortSignal;
  /** When tail started: attempts before it are not printed. */
  since: number;
  /** What a failure is told with (the API's URL, where the key came from). */
  where?: Where;
  /** Only the messages to a URL (`--url-prefix`) or with a label (`--label`): both listings narrowed so. */
  filter?: Pick<MessageFilter, 'urlPrefix' | 'label'>;
}

/**
 * `status`: where the attempt left the message (`stateAfter`); undefined when tail cannot tell, and
 * then left out of the line (never the status the message has now, which a later attempt gave it).
 */
export const printAttempt = (
  output: Output,
  message: Message,
  attempt: Attempt,
  status: Message['status'] | undefined,
) => {
  if (output.json) {
    output.data({ messageId: message.id, url: message.url, ...(status !== undefined && { status }), attempt }, true);
    return;
  }
  const { color } = output;
  output.line(
    [
      color.dim(timeText(attempt.startedAt)),
      message.id,
      `attempt ${attempt.n}`,
      outcomeText(attempt, color),
      `${attempt.durationMs} ms, ${latenessText(attempt)}`,
      ...(status === undefined ? [] : [statusText(status, color)]),
      `${message.method} ${message.url}`,
    ].join('  '),
  );
};

export const tail = async (api: Api, output: Output, options: TailOptions): Promise<void> => {
  /** Per message: the attempts already accounted for, and whether it may still change. */
  const printed = new Map<string, { attempts: number; pending: boolean }>();
  /** Finished messages forgotten from `printed`: their attempts counted (oldest first, at most FINISHED_REMEMBERED). */
  const finished = new Map<string, number>();
  let baseline = true;

  // Every call takes the signal: Ctrl-C ends a call under way at once, not after its timeout and retries.
  const call = { signal: options.signal };

  const poll = async () => {
    const filter = options.filter ?? {};
    const [newest, pending] = await Promise.all([
      api.messages.listPage({ ...filter, limit: 100 }, call),
      listMessages(api, { ...filter, status: ['queued', 'delivering', 'retrying'] }, PENDING_FOLLOWED, { call }),
    ]);
    const current = new Map<string, Message>();
    for (const message of [...newest.items, ...pending.items]) current.set(message.id, message);
    const gone = [...printed].filter(([id, state]) => state.pending && !current.has(id)).slice(0, REREADS_PER_POLL);
    for (const [id] of gone) {
      try {
        current.set(id, await api.messages.get(id, call));
      } catch {
        printed.delete(id);
      }
    }
    for (const message of [...current.values()].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))) {
      const state = printed.get(message.id);
      const pending = !FINAL.has(message.status);
      if (baseline) {
        printed.set(message.id, { attempts: message.attempts, pending });
        continue;
      }
      const before = state?.attempts ?? finished.get(message.id) ?? 0;
      finished.delete(message.id);
      if (message.attempts > before) {
        const last = message.lastAttempt;
        // Read after the listing: it may hold attempts recorded since, which the next poll prints.
        const known =
          message.attempts - before === 1 && last?.n === message.attempts
            ? [last]
            : (await api.messages.attempts(message.id, call)).items.filter((a) => a.n > before);
        known.forEach((attempt, i) => {
          if (attempt.n > message.attempts || Date.parse(attempt.startedAt) < options.since) return;
          printAttempt(output, message, attempt, stateAfter(message, attempt, known[i + 1]));
        });
      }
      printed.set(message.id, { attempts: message.attempts, pending });
    }
    // Forget finished messages that left the lists: only what may still change is remembered.
    for (const [id, state] of printed) {
      if (state.pending || current.has(id)) continue;
      printed.delete(id);
      finished.set(id, state.attempts);
      if (finished.size > FINISHED_REMEMBERED) finished.delete(finished.keys().next().value!);
    }
    baseline = false;
  };

  if (!output.json) output.note('Following deliveries (Ctrl-C to stop)…');
  // What the last failed poll said: the same failure poll after poll is noted once, and its end too.
  let failing: string | undefined;
  while (!options.signal.aborted) {
    let wait = options.intervalMs;
    try {
      await poll();
      if (failing !== undefined) output.note('vigil: the API answers again');
      failing = undefined;
    } catch (error) {
      if (options.signal.aborted) return;
      const failure = toCliError(error, options.where);
      // A bad key will not get better; anything else (a restart, a rate limit) may.
      if (failure.code === EXIT.auth) throw failure;
      // A 429's Retry-After is waited out: polling on at the interval would only be refused again.
      const asked = error instanceof VigilRateLimitError && error.retryAfter ? error.retryAfter * 1000 : 0;
      wait = Math.max(wait, asked);
      const again = asked > options.intervalMs ? `trying again in ${formatDuration(asked)}` : 'trying again';
      if (failure.message !== failing) output.note(`vigil: ${failure.message}; ${again}`);
      failing = failure.message;
    }
    await sleep(wait, options.signal);
  }
};
