/**
 * The load on one flow key's limiter item (`T#<tenant>` / `F#<key>`, dynamo-flow-limiter.ts): the
 * cost bench's scenarios carry no flow control, so this is computed from the limiter's calls as the
 * code makes them, with the item's size measured by the store's own dynamoItemBytes.
 *
 * - rate: one conditional UpdateItem per start (the item is small: 1 write unit);
 * - parallelism: two per send (take a lease, give it back), each on the whole item, which holds one
 *   `L#<messageId>.<version>` attribute per lease held: leases held = sends/s × request time
 *   (Little's law), at most the parallelism.
 *
 * Failed conditions (contended reservations, a waiting worker's first ask) cost the item's write
 * units each on top, and a full key's waiters poll it by consistent reads (a read unit per 4 KB of
 * the item, from the read budget): neither is counted, so the figures are a floor.
 */
import { dynamoItemBytes } from '@vigil/aws/dynamo-item-size';

export interface FlowKeyTraffic {
  /** Sends a second the key is asked for. */
  sendsPerSecond: number;
  parallelism?: number;
  ratePerSecond?: number;
  /** How long one send holds its lease. */
  requestMs: number;
}

export interface FlowLimiterLoad {
  /** Sends a second the key's own bounds allow. */
  sendsPerSecond: number;
  leasesHeld: number;
  itemBytes: number;
  writesPerSecond: number;
  writeUnitsPerSecond: number;
}

/** A message id as the store makes them (`msg_` and a ULID): the lease attributes' names carry it. */
const SAMPLE_MESSAGE_ID = `msg_${'0'.repeat(26)}`;
const SAMPLE_EPOCH_MS = 1_800_000_000_000;

const limiterItem = (leases: number): Record<string, unknown> => {
  const item: Record<string, unknown> = {
    pk: `T#tnt_${'0'.repeat(26)}`,
    sk: `F#${'k'.repeat(32)}`,
    nextSlotAt: SAMPLE_EPOCH_MS,
    leaseCount: leases,
    expiresAt: SAMPLE_EPOCH_MS / 1000,
    expiresAtMs: SAMPLE_EPOCH_MS,
  };
  for (let i = 0; i < leases; i += 1)
    item[`L#${SAMPLE_MESSAGE_ID.slice(0, -6)}${String(i).padStart(6, '0')}.1`] = SAMPLE_EPOCH_MS;
  return item;
};

export const flowLimiterLoad = (traffic: FlowKeyTraffic): FlowLimiterLoad => {
  const byParallelism =
    traffic.parallelism === undefined ? Number.POSITIVE_INFINITY : (traffic.parallelism * 1000) / traffic.requestMs;
  const sendsPerSecond = Math.min(
    traffic.sendsPerSecond,
    traffic.ratePerSecond ?? Number.POSITIVE_INFINITY,
    byParallelism,
  );
  const leasesHeld =
    traffic.parallelism === undefined
      ? 0
      : Math.min(traffic.parallelism, Math.ceil((sendsPerSecond * traffic.requestMs) / 1000));
  const itemBytes = dynamoItemBytes(limiterItem(leasesHeld));
  const unitsPerWrite = Math.max(1, Math.ceil(itemBytes / 1024));
  const writesPerSecond =
    (traffic.ratePerSecond === undefined ? 0 : sendsPerSecond) +
    (traffic.parallelism === undefined ? 0 : 2 * sendsPerSecond);
  return {
    sendsPerSecond,
    leasesHeld,
    itemBytes,
    writesPerSecond,
    writeUnitsPerSecond: writesPerSecond * unitsPerWrite,
  };
};
