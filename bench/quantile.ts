/** The `q` quantile (0..1) of values sorted ascending: the value at that rank, NaN for none. */
export const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
