/**
 * An Idempotency-Key as a request whose server died after binding it leaves it (a Lambda that
 * crashed or timed out between its claim and its writes): bound to a message id that was never
 * written, owned by that request, its lease running from now. Written straight into a local stack's
 * store, as the store's own claim writes it; the request's fingerprint is copied from a finished
 * request with the same body (`like`), so the key is bound exactly as the API would have bound it.
 */
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, newMessageId } from '@vigil/core';
import { openStackStore } from './stack-store';

export { IDEMPOTENCY_LEASE_MS };

/** Binds `key` as a dead request with `like`'s body would have; resolves with the id it bound. */
export const bindKeyAsDeadRequest = async (
  stack: { dataDir: string; tenantId: string },
  { key, like }: { key: string; like: string },
): Promise<string> => {
  const { store, close } = await openStackStore(stack.dataDir);
  const now = Date.now();
  const claim = (k: string, messageId: string, fingerprint?: string) =>
    store.claimIdempotencyKey(
      stack.tenantId,
      k,
      { messageIds: [messageId], fingerprint, owner: messageId, leaseUntil: now + IDEMPOTENCY_LEASE_MS },
      now,
      IDEMPOTENCY_TTL_MS,
    );
  const finished = await claim(like, newMessageId(now));
  if (finished.claimed) throw new Error(`no request has used the Idempotency-Key ${like} yet`);
  const messageId = newMessageId(now);
  const dead = await claim(key, messageId, finished.record.fingerprint);
  if (!dead.claimed) throw new Error(`the Idempotency-Key ${key} is bound already`);
  close();
  return messageId;
};
