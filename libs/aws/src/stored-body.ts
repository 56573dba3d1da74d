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
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** Bodies shorter than this (UTF-8 bytes) stay text: at best a fraction of a unit to win. */
export const COMPRESS_BODIES_FROM_BYTES = 512;
/** Kept compressed only if the gzip is at most this share of the text's bytes. */
const WORTH_IT = 0.8;

/** The attribute a compressed body is stored in. */
export const COMPRESSED_BODY = 'bodyGz';

/** The item attributes that hold `body`: `{ body }` or `{ bodyGz }`. */
export const storedBody = (body: string): { body: string } | { [COMPRESSED_BODY]: Uint8Array } => {
  const text = Buffer.from(body, 'utf8');
  if (text.byteLength < COMPRESS_BODIES_FROM_BYTES) return { body };
  // Not well-formed UTF-16 (a lone surrogate): its UTF-8 would not read back as the same string.
  if (text.toString('utf8') !== body) return { body };
  const gz = gzipSync(text);
  return gz.byteLength <= text.byteLength * WORTH_IT ? { [COMPRESSED_BODY]: gz } : { body };
};

/** The body an item holds, compressed or not (an item written before compression holds text). */
export const bodyOfItem = (item: Record<string, unknown>): string => {
  const gz = item[COMPRESSED_BODY];
  if (gz instanceof Uint8Array) return gunzipSync(gz).toString('utf8');
  return typeof item.body === 'string' ? item.body : '';
};
