/** Interleaves several async iterables, pulling from all of them at once. */
export async function* mergeAsync<T>(sources: ReadonlyArray<AsyncIterator<T>>): AsyncGenerator<T> {
  const pulls = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => {
    const source = sources[index] as AsyncIterator<T>;
    pulls.set(
      index,
      source.next().then((result) => ({ index, result })),
    );
  };
  for (let index = 0; index < sources.length; index += 1) pull(index);
  while (pulls.size > 0) {
    const { index, result } = await Promise.race(pulls.values());
    if (result.done) pulls.delete(index);
    else {
      pull(index);
      yield result.value;
    }
  }
}
