/**
 * Awaits every promise, then throws the first rejection among them. `Promise.all` throws at the
 * first one while the others still run: for writes, one of those could land after the caller has
 * given up and moved on (a rollback that released its request's Idempotency-Key, say).
 */
export const settleAll = async <T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> => {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
};
