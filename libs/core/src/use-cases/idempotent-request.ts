/**
 * An Idempotency-Key honoured the same way by every create (messages, batches, bulk jobs): the key
 * binds the request's fingerprint and the ids of what it creates, with a lease and a 24 h TTL. The
 * same request again gets the first result (waiting a little while a concurrent twin is still
 * writing it), a different request a 422, and the retry of a request that failed or died part-way
 * takes over the lease and finishes it with the same ids.
 *
 * A retry that finds another request's results all stored answers with them only once they are
 * `kept` for good on the key; a request whose write failed deletes what it may have stored only once
 * they are `withdrawn` (`settleIdempotentResults`: one conditional write decides, whichever comes
 * first). Without that, a retry sent while the first request was still failing (its client timed
 * out) answered with a message the first request's rollback then deleted: accepted, and lost.
 *
 * A request whose results are `kept` is done: a repeat that finds them removed since is refused
 * (409 `state-conflict`, IdempotentRequestDoneError), never made again. Results a tenant may remove
 * within the key's 24 h (a notification endpoint) say so (`removable`): their request marks its key
 * `kept` itself once they are written, one write more that also binds the key to the ids of what it
 * answered with (an endpoint its URL had already, say), so a repeat after the tenant removed them is
 * refused naming them, where it waited for the lease (409 `idempotency-key-in-use`) and then added them again.
 * Messages, jobs, API keys and rotations cannot be removed within 24 h (a cancel or a revoke keeps
 * the record, a finished message or job is kept for days): their keyed creates make no such write.
 */
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, IdempotentRequestDoneError } from '../errors';
import type { IdempotencyRecord, IdempotentSettlement } from '../ports';
import type { SchedulingDeps } from './deps';

/** The longest Idempotency-Key, in characters (printable ASCII: functions/api/idempotency-key.ts reads the header). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** How long an Idempotency-Key stays bound to its first request. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * How long a request may take to write its results before a retry with its key may take over.
 * Longer than an API function can run on AWS (its 10 s timeout, infra/timeouts.test.ts), so a live
 * request is never taken over there; short enough that @vigil/client's default retries, each
 * answered 409 after IDEMPOTENCY_WAIT_MS, reach past it when the request's server died
 * (libs/client/src/vigil.int.test.ts). A take-over of a request that was only slow (the local
 * stack has no timeout) is safe: it writes the same ids, and a message that exists already is the
 * other request's.
 */
export const IDEMPOTENCY_LEASE_MS = 15_000;
/** How long a request waits for a concurrent one with the same key to finish before answering 409. */
export const IDEMPOTENCY_WAIT_MS = 5_000;
/**
 * The lease a withdrawal gives its request for deleting what it may have stored (a rollback's tries,
 * each bounded by the store client's timeouts): no retry takes the key over meanwhile, and one
 * released at the end of the rollback is taken over at once.
 */
export const WITHDRAWAL_LEASE_MS = 60_000;
const IDEMPOTENCY_POLL_MS = 100;

/** What honouring a key takes: the store that holds the keys' claims, the clock, the log. */
export type IdempotencyDeps = Pick<SchedulingDeps, 'store' | 'clock' | 'log'>;

/** The key a request came with, and the fingerprint of the request (request-fingerprint.ts). */
export interface IdempotentRequest {
  key: string;
  fingerprint: string;
  /** Whether a key's stored fingerprint is this request's, when it is not `fingerprint` itself (fingerprintRequest). */
  matches?: (stored: string) => boolean;
}

/** Whether a key's stored fingerprint is this request's (a key bound before fingerprints were kept has none). */
export const isBoundToRequest = (request: IdempotentRequest, stored: string | undefined): boolean =>
  stored === undefined || stored === request.fingerprint || (request.matches?.(stored) ?? false);

/** How a request's results are found again and written (all or nothing) under a claimed key. */
export interface IdempotentResults<T> {
  /** The results with these ids, as stored now (undefined: not stored). */
  load(ids: readonly string[]): Promise<Array<T | undefined>>;
  /**
   * Stores what is missing of the request's results, which carry `ids` (the key's: this request's
   * own, or those of the request it takes over), and returns all of them. `stored` is what exists
   * already, by position. Throws if nothing (more) could be stored. A write that fails part-way and
   * would delete what it stored calls `withdraw` first, and deletes nothing unless it says
   * `withdrawn`; `kept`: a repeat found them all stored and answered with them, so they are made,
   * and the write is done; undefined: the key is another request's now (it took over), they stay.
   */
  write(
    ids: readonly string[],
    stored: ReadonlyArray<T | undefined>,
    withdraw: () => Promise<IdempotentSettlement | undefined>,
  ): Promise<T[]>;
  /**
   * Given where the tenant may remove the results within the key's 24 h: the request marks its key
   * done (`kept`) once they are written, and a repeat that finds them removed since is refused
   * naming what is gone. Left out where nothing removes them within 24 h, as for messages: no write
   * more on their hot path.
   */
  removable?: {
    /**
     * The ids the results carry: the key's, or others where the request answered with what was there
     * already (an endpoint add whose URL had one). The key is bound to these with its mark, so a
     * repeat finds, and names, what the request answered with.
     */
    idsOf(results: readonly T[]): string[];
    /** What is gone, named by its ids, as "the notification endpoint it answered with, nep_…,". */
    named(ids: readonly string[]): string;
  };
}

/**
 * Binds `key` to this request (whose results get `ids`; the first names the request as the key's
 * owner) and writes them, or answers from the request the key is bound to. On a failed write the
 * key's lease ends at once, so a retry can finish it.
 */
export const runIdempotently = async <T>(
  deps: IdempotencyDeps,
  tenantId: string,
  request: IdempotentRequest,
  ids: readonly string[],
  results: IdempotentResults<T>,
): Promise<{ results: T[]; created: boolean }> => {
  const { key, fingerprint } = request;
  const owner = ids[0] ?? '';
  const withdraw = () =>
    deps.store.settleIdempotentResults(tenantId, key, owner, 'withdrawn', deps.clock.now() + WITHDRAWAL_LEASE_MS);
  /** Runs `step`; when it throws, the key is given back if it is this request's, so a retry takes it over at once. */
  const releasingOnFailure = async <R>(step: () => Promise<R>): Promise<R> => {
    try {
      return await step();
    } catch (error) {
      await deps.store.releaseIdempotencyKey(tenantId, key, owner).catch((releaseError: unknown) =>
        deps.log.warn('idempotency key not released; a retry may take over once its lease ends', {
          tenantId,
          error: String(releaseError),
        }),
      );
      throw error;
    }
  };
  const writeClaimed = (boundIds: readonly string[], stored: ReadonlyArray<T | undefined>) =>
    releasingOnFailure(async () => {
      const written = await results.write(boundIds, stored, withdraw);
      // Done: from now on a repeat answers with these, or, once the tenant removed them, is refused.
      // (A keep moves no lease; a key taken over meanwhile is the new owner's to mark.)
      if (results.removable)
        await deps.store.settleIdempotentResults(tenantId, key, owner, 'kept', 0, results.removable.idsOf(written));
      return written;
    });
  /**
   * Whether the results the key is bound to, found all stored, are the answer: this request's own,
   * kept already, or kept now (a key claimed before owners were kept has no owner to settle with).
   */
  const isKept = async (bound: IdempotencyRecord, stored: readonly T[]): Promise<boolean> => {
    if (bound.owner === owner || bound.owner === '' || bound.settled === 'kept') return true;
    if (bound.settled === 'withdrawn') return false;
    const ids = results.removable?.idsOf(stored);
    return (
      (await deps.store.settleIdempotentResults(tenantId, key, bound.owner, 'kept', bound.leaseUntil, ids)) === 'kept'
    );
  };
  const waitUntil = deps.clock.now() + IDEMPOTENCY_WAIT_MS;
  for (;;) {
    const now = deps.clock.now();
    const record = { messageIds: [...ids], fingerprint, owner, leaseUntil: now + IDEMPOTENCY_LEASE_MS };
    // A claim (or a take-over, below) that throws may have landed, its answer lost past the SDK's
    // retries: given back, as a failed write gives it back, or its retry would find the key held by
    // this request and wait out its lease (IDEMPOTENCY_WAIT_MS, then 409, until the lease ended).
    const claim = await releasingOnFailure(() =>
      deps.store.claimIdempotencyKey(tenantId, key, record, now, IDEMPOTENCY_TTL_MS),
    );
    if (claim.claimed)
      return {
        results: await writeClaimed(
          ids,
          ids.map(() => undefined),
        ),
        created: true,
      };
    const bound = claim.record;
    const sameRequest = isBoundToRequest(request, bound.fingerprint) && bound.messageIds.length === ids.length;
    if (!sameRequest) throw new IdempotencyKeyReusedError(key);
    const stored = await results.load(bound.messageIds);
    if (stored.every((r) => r !== undefined) && (await isKept(bound, stored as T[])))
      return { results: stored as T[], created: false };
    // Done, and what it made removed since: the tenant removed it on purpose, so nothing is made again.
    if (bound.settled === 'kept') throw new IdempotentRequestDoneError(key, results.removable?.named(bound.messageIds));
    // This request's own claim or take-over, applied though its answer was lost (the store client
    // retried the conditional write and found it done): the key is this request's to finish, now,
    // not after its own lease.
    if (bound.owner === owner) return { results: await writeClaimed(bound.messageIds, stored), created: true };
    // Released or run out (its results missing, or withdrawn): the request that bound the key failed or died.
    if (bound.leaseUntil < now) {
      const tookOver = await releasingOnFailure(() =>
        deps.store.takeOverIdempotencyKey(tenantId, key, bound.owner, owner, now, now + IDEMPOTENCY_LEASE_MS),
      );
      if (tookOver) {
        // Finish its work, with its ids (what is stored stays, the rest is written).
        return { results: await writeClaimed(bound.messageIds, stored), created: true };
      }
      continue; // another retry took over first: look again
    }
    if (now >= waitUntil) throw new IdempotencyKeyInUseError(key);
    await deps.clock.sleepUntil(now + IDEMPOTENCY_POLL_MS);
  }
};
