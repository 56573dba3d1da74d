/**
 * What the CLI reads from a file or a stream, up to a bound: `--data @file`, `--data @-` and the
 * config file were read whole, so `yes | vigil send … --data @-` or `--data @/dev/zero` grew the
 * process's memory until Node died of it (an out-of-memory crash, not an error naming the flag).
 */
import { createReadStream } from 'node:fs';
import { readBytesAtMost } from '../bytes-at-most';

/** The most a message holds, as the API counts it (UTF-8 bytes): README, "Guarantees and limits". */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * The most `--data` reads: the API's request body limit (6 MiB). A JSON body counts toward the
 * message without the whitespace between its tokens, so a pretty-printed file larger than 256 KiB
 * can still make a message the API takes; nothing larger than a request can.
 */
export const MAX_DATA_READ_BYTES = 6 * 1024 * 1024;

/** The most the config file may be: a few profiles take a few hundred bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** `bytes` as people read a limit: `256 KiB (262,144 bytes)`. */
export const sizeText = (bytes: number): string => {
  const unit = bytes >= 1024 * 1024 ? ['MiB', 1024 * 1024] : ['KiB', 1024];
  const amount = Math.floor((bytes / (unit[1] as number)) * 10) / 10;
  return `${amount} ${unit[0]} (${bytes.toLocaleString('en-US')} bytes)`;
};

/**
 * The bytes of `stream` if they are at most `max`; `undefined` when there are more (reading stops
 * at the first byte past `max`, so an endless stream costs `max` bytes of memory, not all of it).
 */
export const readAtMost = async (
  stream: AsyncIterable<unknown> & { destroy?: () => void },
  max: number,
): Promise<Buffer | undefined> => {
  const iterator = stream[Symbol.asyncIterator]();
  const bytes = await readBytesAtMost(
    () => iterator.next(),
    async () => {
      stream.destroy?.();
      await iterator.return?.();
    },
    max,
  );
  return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

/** A file's bytes if it holds at most `max` (a FIFO or `/dev/zero` included), `undefined` if more. */
export const readFileAtMost = (path: string, max: number): Promise<Buffer | undefined> =>
  readAtMost(createReadStream(path, { highWaterMark: 64 * 1024 }), max);

/**
 * The UTF-8 bytes of a JSON text less the whitespace between its tokens: what the API counts of a
 * JSON body (it stores and sends it so). `text` is valid JSON.
 */
export const compactJsonBytes = (text: string): number => {
  let whitespace = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) whitespace++;
  }
  return Buffer.byteLength(text, 'utf8') - whitespace;
};
