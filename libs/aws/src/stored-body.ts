/**
 * A message's body as its item holds it: gzip-compressed in `bodyGz` (binary) when that makes it at
 * least a fifth smaller, else as it is in `body`. DynamoDB bills a write by the whole item's size (a
 * write unit per KB, however little it changes), and a message item is written three times per
 * delivery (insert, take, record), again at every retry and at every change: a 16 KB JSON body that
 * gzip brings to 4 KB makes each of those writes 12 units cheaper. It is AWS's own advice for large
 * attribute values (the DynamoDB developer guide's binary-attribute examples; aws-samples'
 * aws-dynamodb-large-object-patterns), with the zlib Node ships.
 *
 * Stays text: a small body (no write unit to win); one gzip cannot shrink by a fifth (random
 * printable text keeps about 83 %), so the largest item is the uncompressed one, as before
 * (dynamo-item-size.ts); and a string that is not well-formed UTF-16 (a lone surrogate would not
 * come back from UTF-8), stored as the document client always has. An item written before
 * compression holds text and reads back as it is.
 *
 * Compression runs in libuv's thread pool (zlib's asynchronous gzip), never on the event loop: the
 * loop that compresses a body also sends other messages' webhooks (the local stack runs API and
 * engine in one process; a deliver invocation holds a batch of tickets), and a 6 MiB batch of
 * bodies took 50–280 ms of it. A message's body is compressed once per process for all the writes of
 * that message (`StoredBodies`): the record after a send writes the gzip its take read.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

const gzipOffLoop = promisify(gzip);
const gunzipOffLoop = promisify(gunzip);

/** Bodies shorter than this (UTF-8 bytes) stay text: at best a fraction of a unit to win. */
export const COMPRESS_BODIES_FROM_BYTES = 512;
/** Kept compressed only if the gzip is at most this share of the text's bytes. */
const WORTH_IT = 0.8;

/** The attribute a compressed body is stored in. */
export const COMPRESSED_BODY = 'bodyGz';

/** The item attributes that hold a body: `{ body }` or `{ bodyGz }`. */
export type BodyAttributes = { body: string } | { [COMPRESSED_BODY]: Uint8Array };

/** The item attributes that hold `body`, compressed off the event loop when that is worth it. */
export const storedBody = async (body: string): Promise<BodyAttributes> => {
  const text = Buffer.from(body, 'utf8');
  if (text.byteLength < COMPRESS_BODIES_FROM_BYTES) return { body };
  // Not well-formed UTF-16 (a lone surrogate): its UTF-8 would not read back as the same string.
  if (text.toString('utf8') !== body) return { body };
  const gz = await gzipOffLoop(text);
  return gz.byteLength <= text.byteLength * WORTH_IT ? { [COMPRESSED_BODY]: gz } : { body };
};

/** The body an item holds, compressed or not (an item written before compression holds text). */
export const bodyOfItem = async (item: Record<string, unknown>): Promise<string> => {
  const gz = item[COMPRESSED_BODY];
  if (gz instanceof Uint8Array) return (await gunzipOffLoop(gz)).toString('utf8');
  return typeof item.body === 'string' ? item.body : '';
};

/** How many bytes of recent bodies (their text and gzip) a process keeps to write them again. */
export const RECENT_BODIES_BYTES = 8 * 1024 * 1024;

/**
 * Recently read or written compressed bodies, by message, so that writing a message again (a take's
 * record, a retry, a change that keeps the body) reuses the gzip instead of compressing the same
 * text once more. Bounded by bytes, oldest forgotten first; a body that changed is compressed anew.
 */
export class StoredBodies {
  private readonly recent = new Map<string, { body: string; gz: Uint8Array; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number = RECENT_BODIES_BYTES) {}

  /** The attributes that hold the body of message `key`, its known gzip if the body is the same. */
  async attributesOf(key: string, body: string): Promise<BodyAttributes> {
    const known = this.recent.get(key);
    if (known && known.body === body) {
      this.keep(key, known.body, known.gz);
      return { [COMPRESSED_BODY]: known.gz };
    }
    const attributes = await storedBody(body);
    if (COMPRESSED_BODY in attributes) this.keep(key, body, attributes[COMPRESSED_BODY]);
    return attributes;
  }

  /** The body item of message `key` holds, its gzip kept for the message's next write. */
  async bodyOf(key: string, item: Record<string, unknown>): Promise<string> {
    const body = await bodyOfItem(item);
    const gz = item[COMPRESSED_BODY];
    if (gz instanceof Uint8Array) this.keep(key, body, gz);
    return body;
  }

  private keep(key: string, body: string, gz: Uint8Array): void {
    this.forget(key);
    // A string's characters are up to two bytes each in V8.
    const bytes = body.length * 2 + gz.byteLength;
    if (bytes > this.maxBytes) return;
    this.recent.set(key, { body, gz, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.recent) {
      if (this.bytes <= this.maxBytes) break;
      this.recent.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  private forget(key: string): void {
    const entry = this.recent.get(key);
    if (!entry) return;
    this.recent.delete(key);
    this.bytes -= entry.bytes;
  }
}
