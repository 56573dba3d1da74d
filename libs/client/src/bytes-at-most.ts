/**
 * The bytes of an async source (a stream's reader, an iterator), read until they end or pass `max`:
 * `undefined` then, the source stopped, for the caller to throw its own error (an answer, a webhook
 * body and the CLI's `--data` and config file each name their limit). Reading stops at the first chunk
 * past `max`, so a source without end costs `max` bytes of memory, not all of it.
 */
export const readBytesAtMost = async (
  next: () => Promise<IteratorResult<unknown>>,
  stop: () => unknown,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await next();
    if (done) break;
    const chunk = typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array);
    size += chunk.byteLength;
    if (size > max) {
      await Promise.resolve(stop()).catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
};
