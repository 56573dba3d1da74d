/**
 * The size of an item as DynamoDB counts it against its 400 KB limit, from the item as the document
 * client takes it: for each attribute its name's UTF-8 bytes plus its value's size; a string is its
 * UTF-8 bytes, a number about one byte per two significant digits plus one, a boolean or null one
 * byte, a map or list three bytes plus one per element (and each map entry's name). Numbers are
 * counted one byte high, so the figure is an upper bound, never less than DynamoDB's.
 * (dynalite counts characters instead of bytes, so the local stack checks with this before writing.)
 */
export const DYNAMO_ITEM_LIMIT_BYTES = 400 * 1024;

const numberBytes = (n: number): number => {
  const digits = String(Math.abs(n)).replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 2;
};

export const dynamoValueBytes = (value: unknown): number => {
  if (value === undefined) return 0;
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(Number(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value) || value instanceof Set) {
    let bytes = 3;
    for (const element of value) bytes += 1 + dynamoValueBytes(element);
    return bytes;
  }
  if (typeof value === 'object') {
    let bytes = 3;
    for (const [name, element] of Object.entries(value)) {
      if (element === undefined) continue;
      bytes += 1 + Buffer.byteLength(name, 'utf8') + dynamoValueBytes(element);
    }
    return bytes;
  }
  return 0;
};

/** An upper bound of the item's size as DynamoDB measures it (undefined attributes are not written). */
export const dynamoItemBytes = (item: Record<string, unknown>): number => {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name, 'utf8') + dynamoValueBytes(value);
  }
  return bytes;
};

/** An item over DynamoDB's limit: refused before it is sent (dynalite would accept what AWS refuses). */
export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
  constructor(readonly bytes: number) {
    super(`item of about ${bytes} bytes exceeds DynamoDB's ${DYNAMO_ITEM_LIMIT_BYTES}-byte limit`);
  }
}
