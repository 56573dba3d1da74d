/**
 * A partition key's *class*: its value with the parts that vary per tenant, bucket, shard or id
 * replaced by a placeholder (`T#tnt_01J…#queued` → `T#<tenant>#queued`, `P#3` → `P#<shard>`), so the
 * cost meter can count the load on each kind of partition however many tenants and messages the
 * bench makes. The capacity model (bench/capacity/) turns a class's load per message into each
 * key's load per second. The key shapes are those of dynamo-message-store.ts, dynamo-tenant-store.ts,
 * dynamo-flow-limiter.ts and usage-ledger-layout.ts.
 */

/** Per leading tag: what the `#`-separated parts after it are. */
const PARTS: Record<string, readonly string[]> = {
  T: ['<tenant>'],
  P: ['<shard>'],
  B: ['<bucketAt>', '<shard>'],
  K: ['<key hash>'],
  U: ['<user>'],
  S: ['<session>'],
};

/** The class of a partition key value (parts past the known ones, like a status, are kept). */
export const partitionKeyClass = (key: string): string => {
  const [tag = '', ...rest] = key.split('#');
  const placeholders = PARTS[tag];
  if (!placeholders) return key;
  return [tag, ...rest.map((part, i) => placeholders[i] ?? part)].join('#');
};

/**
 * What kind of item a table sort key names: its tag up to the first `#` (`M#` a message, `I#` an
 * idempotency claim, `F#` a flow key's limiter, `U#` a usage day total, `UL#` a usage id level), or
 * the whole key when it has none (`TENANT`, `KEY`).
 */
export const itemKindOf = (sortKey: string): string => {
  const hash = sortKey.indexOf('#');
  return hash < 0 ? sortKey : sortKey.slice(0, hash + 1);
};
