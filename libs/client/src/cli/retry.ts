/**
 * `vigil retry`: a retrying message's next attempt now (`POST /v1/messages/{id}/retry`, same round,
 * same retry budget), by ids or for every retrying message a filter selects. The API has no bulk
 * retry job, so a filter's messages are listed first (their count is the total), then retried a
 * few at a time, the counts noted on stderr as they grow and told at the end.
 */
import type { Api, Message, MessageFilter } from './api';
import { eachAtMost } from './each-at-most';
import type { CliError } from './exit-codes';
import { EXIT, usageError } from './exit-codes';
import { filterFlags } from './filter';
import type { Output } from './output';

/** What retry applies to: a message whose last attempt failed and that waits for the next. */
export const RETRY_STATUSES: NonNullable<MessageFilter['status']> = ['retrying'];

/** Requests under way at once: a few hundred messages take seconds, and the API is not flooded. */
export const RETRY_PARALLEL = 4;
/** How often the counts are noted while they grow. */
export const RETRY_NOTE_MS = 1_000;
/**
 * The most messages one run lists and retries (as many as `vigil ls` reads): a tenant's retrying
 * messages can be a million, which would be listed for minutes, every id held, before the first
 * retry. A message retried is no longer `retrying`, so the same command again takes the next ones.
 */
export const RETRY_MAX_MESSAGES = 10_000;

export interface RetryCounts {
  /** Retried now: their next attempt is sent at once. */
  done: number;
  /**
   * No longer retrying when asked (delivered, failed, being delivered, cancelled, or gone), or
   * asked already by an earlier run with the same key (the API answered a repeat: no attempt now).
   */
  skipped: number;
  /** Refused or unanswered for another reason (each printed). */
  failed: number;
}

export interface RetryResult {
  /** The retrying messages the filter selected (so far, when Ctrl-C came while they were listed). */
  total: number;
  /** Whether more match than the RETRY_MAX_MESSAGES this run took: the same command again takes them. */
  more?: boolean;
  counts: RetryCounts;
  /** Whether Ctrl-C stopped it before every message was asked (`listing`: before any was). */
  interrupted: boolean;
  /** The messages whose request Ctrl-C cut short, not counted: they may have been retried. */
  cutShort?: string[];
  listing?: boolean;
  /** Whether a failure no other message would escape (the API unreachable, the key refused) stopped it. */
  stopped: boolean;
}

/** `--status` for retry: retrying (the default), and nothing else, which the API would refuse message by message. */
export const retryFilter = (given: MessageFilter): MessageFilter => {
  const other = (given.status ?? []).filter((status) => !RETRY_STATUSES.includes(status));
  if (other.length > 0) {
    throw usageError(
      `--status ${given.status!.join(',')}: retry applies to retrying messages only, not to ${other.join(', ')} ones`,
      other.some((status) => status === 'failed' || status === 'delivered')
        ? `send failed or delivered messages again with vigil redeliver ${filterFlags({ ...given, status: other.filter((s) => s === 'failed' || s === 'delivered') }).join(' ')}`
        : 'leave --status out (it is retrying)',
    );
  }
  return { ...given, status: RETRY_STATUSES };
};

/** `12 retried now, 3 skipped, 0 failed (of 15)`. */
export const retryCountsText = ({ done, skipped, failed }: RetryCounts, total: number): string =>
  `${done} retried now, ${skipped} skipped, ${failed} failed (of ${total})`;

export interface RetryManyOptions {
  signal: AbortSignal;
  now: () => number;
  /** Each message's Idempotency-Key is `<key>:<id>`, so a rerun asks no second attempt of one retried. */
  idempotencyKey?: string;
  /**
   * A failure other than "no longer retrying", printed as it comes; answering true stops asking the
   * rest (a failure every message would meet: the API unreachable, the key refused).
   */
  onFailure: (id: string, error: unknown) => boolean;
  /** At most this many messages (RETRY_MAX_MESSAGES unless given). */
  maxMessages?: number;
}

/** A keyed retry's or redeliver's Idempotency-Key for one of its messages, `<key>:<id>`: a rerun repeats none. */
export const perMessageKey = (key: string | undefined, id: string): { idempotencyKey?: string } =>
  key === undefined ? {} : { idempotencyKey: `${key}:${id}` };

/** Whether a refusal means the message is no longer retrying (409: delivered, delivering, failed, cancelled; 404: gone). */
const noLongerRetrying = (error: unknown): boolean => {
  const status = (error as { status?: unknown }).status;
  return status === 409 || status === 404;
};

/**
 * Retries every retrying message `filter` selects, RETRY_PARALLEL at a time, noting the counts on
 * stderr (at most every RETRY_NOTE_MS) and resolving with them. Ctrl-C (the signal) stops at once:
 * no more is asked, and the requests under way are cut short (on a slow API one may take a minute
 * of tries), their messages named apart from the counts (`cutShort`: they may have been retried).
 */
export const retryMany = async (
  api: Api,
  output: Output,
  filter: MessageFilter,
  options: RetryManyOptions,
): Promise<RetryResult> => {
  const call = { signal: options.signal };
  const ids: string[] = [];
  const counts: RetryCounts = { done: 0, skipped: 0, failed: 0 };
  const maxMessages = options.maxMessages ?? RETRY_MAX_MESSAGES;
  let more = false;
  let notedAt = options.now();
  try {
    for await (const message of api.messages.list(filter, call) as AsyncIterable<Message>) {
      if (ids.length === maxMessages) {
        more = true;
        break;
      }
      ids.push(message.id);
      if (options.now() - notedAt >= RETRY_NOTE_MS) {
        output.note(`listing the retrying messages: ${ids.length} so far…`);
        notedAt = options.now();
      }
    }
  } catch (error) {
    if (options.signal.aborted) return { total: ids.length, counts, interrupted: true, listing: true, stopped: false };
    throw error;
  }
  if (ids.length === 0) return { total: 0, counts, interrupted: false, stopped: false };
  output.note(
    `Retrying ${more ? `the newest ${ids.length} of more` : ids.length} messages now (${filterFlags(filter).join(' ')})…`,
  );
  notedAt = options.now();
  let stopped = false;
  const cutShort: string[] = [];
  await eachAtMost(
    ids,
    RETRY_PARALLEL,
    () => !options.signal.aborted && !stopped,
    async (id) => {
      try {
        let repeat = false;
        await api.messages.retry(id, {
          ...perMessageKey(options.idempotencyKey, id),
          signal: options.signal,
          onRepeat: () => (repeat = true),
        });
        if (repeat) counts.skipped++;
        else counts.done++;
      } catch (error) {
        if (options.signal.aborted) cutShort.push(id);
        else if (noLongerRetrying(error)) counts.skipped++;
        else {
          counts.failed++;
          if (options.onFailure(id, error)) stopped = true;
        }
      }
      if (options.now() - notedAt >= RETRY_NOTE_MS) {
        output.note(`  ${retryCountsText(counts, ids.length)}`);
        notedAt = options.now();
      }
    },
  );
  const asked = counts.done + counts.skipped + counts.failed;
  return {
    total: ids.length,
    counts,
    interrupted: options.signal.aborted && asked < ids.length,
    ...(cutShort.length > 0 && { cutShort }),
    stopped,
    ...(more && { more }),
  };
};

/** How a retry over a filter ended sets the exit code: 130 interrupted, 1 when some failed, else 0. */
export const retryExitCode = (result: RetryResult, firstFailure?: CliError): number => {
  if (result.interrupted) return EXIT.interrupted;
  if (result.counts.failed === 0) return EXIT.ok;
  return firstFailure?.code ?? EXIT.failure;
};
