/**
 * Runs `task` for each of `items` in order, at most `parallel` at once, starting no more once
 * `goOn()` says no (Ctrl-C, a failure that stops the run): those started are awaited, those not
 * started are left.
 */
export const eachAtMost = async <T>(
  items: readonly T[],
  parallel: number,
  goOn: () => boolean,
  task: (item: T, at: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length && goOn()) {
      const at = next++;
      await task(items[at]!, at);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
};
