/**
 * FlowLimiter on DynamoDB (dynalite in the local stack): one item per tenant and flow key,
 *   pk T#<tenant>  sk F#<key>
 *   nextSlotAt   the key's next free start slot (epoch ms, fractional): the rate grid
 *   leaseCount   leases held
 *   L#<leaseId>  one attribute per lease: when it expires (epoch ms)
 *   expiresAt / expiresAtMs   FLOW_ITEM_IDLE_MS after the last use (TTL; the local reaper too)
 * Every change is one conditional UpdateItem, so any number of workers (Lambdas) share the limits
 * without transactions or locks; the rules are flow-control.ts's (`nextSlot`, `leaseAdmits`,
 * `expiredLeases`), written as conditions. The item is in no index.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FlowLimiter } from '@vigil/core';
import { expiredLeases, FLOW_ITEM_IDLE_MS } from '@vigil/core';
import { expiryAttributes } from './dynamo-message-store';
import { appliedUnlessRefused, ITEM_ON_CONDITION_FAILURE, itemAfterRefusal } from './own-write';

const LEASE_PREFIX = 'L#';
/** A reservation races other workers' at most this many rounds (each round is two conditional writes). */
const RESERVE_ROUNDS = 5;
/** Expired leases one reclaiming write removes at most (its expressions stay far below DynamoDB's 4 KB). */
const RECLAIM_PER_WRITE = 50;
/** Keys whose next slot this worker last saw (a hint of which write to try first); cleared when full. */
const HINTS_MAX = 1_000;

export class DynamoFlowLimiter implements FlowLimiter {
  private readonly busyUntil = new Map<string, number>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async reserveSlot(
    tenantId: string,
    key: string,
    slot: { from: number; spacingMs: number; latest: number; now: number },
  ): Promise<{ slotAt: number } | { freeAt: number }> {
    const hintKey = `${tenantId}\n${key}`;
    for (let round = 0; round < RESERVE_ROUNDS; round += 1) {
      // A busy key (the hint says so) most likely takes the next slot of the grid: try that first.
      const busyFirst = (this.busyUntil.get(hintKey) ?? 0) > slot.from;
      for (const write of busyFirst ? (['busy', 'free'] as const) : (['free', 'busy'] as const)) {
        const slotAt =
          write === 'busy' ? await this.takeNextSlot(tenantId, key, slot) : await this.startGrid(tenantId, key, slot);
        if (slotAt !== undefined) {
          this.hint(hintKey, slotAt + slot.spacingMs);
          return { slotAt };
        }
      }
      // Both failed: the key's next slot is past `latest`, or another worker moved it in between.
      const nextSlotAt = await this.nextSlotAt(tenantId, key);
      if (nextSlotAt !== undefined && nextSlotAt > slot.latest) {
        this.hint(hintKey, nextSlotAt);
        return { freeAt: nextSlotAt };
      }
    }
    throw new Error(`flow key ${key}: no slot reserved after ${RESERVE_ROUNDS} contended rounds`);
  }

  /** The grid is idle (its next slot is not after `from`): the slot is `from`. */
  private async startGrid(
    tenantId: string,
    key: string,
    slot: { from: number; spacingMs: number; latest: number; now: number },
  ): Promise<number | undefined> {
    if (slot.from > slot.latest) return undefined;
    const ok = await this.update(tenantId, key, slot.now, {
      condition: 'attribute_not_exists(nextSlotAt) OR nextSlotAt <= :from',
      set: 'nextSlotAt = :next',
      values: { ':from': slot.from, ':next': slot.from + slot.spacingMs },
    });
    return ok ? slot.from : undefined;
  }

  /** The grid is busy (its next slot is after `from`, not after `latest`): take that slot. */
  private async takeNextSlot(
    tenantId: string,
    key: string,
    slot: { from: number; spacingMs: number; latest: number; now: number },
  ): Promise<number | undefined> {
    const old = await this.update(tenantId, key, slot.now, {
      condition: 'nextSlotAt > :from AND nextSlotAt <= :latest',
      set: 'nextSlotAt = nextSlotAt + :spacing',
      values: { ':from': slot.from, ':latest': slot.latest, ':spacing': slot.spacingMs },
      returnOld: true,
    });
    return old ? Number(old.nextSlotAt) : undefined;
  }

  private async nextSlotAt(tenantId: string, key: string): Promise<number | undefined> {
    const item = await this.read(tenantId, key, 'nextSlotAt');
    return typeof item?.nextSlotAt === 'number' ? item.nextSlotAt : undefined;
  }

  async acquireLease(
    tenantId: string,
    key: string,
    lease: { id: string; until: number; parallelism: number; now: number },
  ): Promise<boolean> {
    const ok = await this.update(tenantId, key, lease.now, {
      condition: '(attribute_not_exists(leaseCount) OR leaseCount < :parallelism) AND attribute_not_exists(#lease)',
      set: '#lease = :until',
      add: 'leaseCount :one',
      names: { '#lease': `${LEASE_PREFIX}${lease.id}` },
      values: { ':parallelism': lease.parallelism, ':until': lease.until, ':one': 1 },
      // Granted with its answer lost, the SDK's retry is refused by the lease it had just made: the
      // lease's own attribute tells (its id is this holder's alone).
      isOwn: (current) => current[`${LEASE_PREFIX}${lease.id}`] === lease.until,
    });
    return ok !== undefined;
  }

  async releaseLease(tenantId: string, key: string, leaseId: string): Promise<void> {
    await this.endLease(tenantId, key, leaseId);
  }

  async reclaimExpiredLeases(tenantId: string, key: string, now: number): Promise<{ reclaimed: number; held: number }> {
    const item = await this.read(tenantId, key);
    if (!item) return { reclaimed: 0, held: 0 };
    const leases: Record<string, number> = {};
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith(LEASE_PREFIX) && typeof value === 'number') leases[name.slice(LEASE_PREFIX.length)] = value;
    }
    const expired = expiredLeases({ leases }, now);
    let reclaimed = 0;
    for (let i = 0; i < expired.length; i += RECLAIM_PER_WRITE) {
      const chunk = expired.slice(i, i + RECLAIM_PER_WRITE);
      if (await this.endLeases(tenantId, key, chunk, leases)) {
        reclaimed += chunk.length;
        continue;
      }
      // One of them was given back (or reclaimed) meanwhile: the rest, one by one.
      for (const id of chunk) if (await this.endLease(tenantId, key, id, leases[id])) reclaimed += 1;
    }
    return { reclaimed, held: Object.keys(leases).length - reclaimed };
  }

  /**
   * Removes expired leases and counts them out in one write, only if each is still there expiring
   * when it was read: a write costs a unit per KB of the item, and a key's item holds up to 1,000
   * leases (about 45 KB), so one write per lease made a burst of a thousand 45-unit writes on one item.
   */
  private async endLeases(
    tenantId: string,
    key: string,
    ids: readonly string[],
    leases: Readonly<Record<string, number>>,
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, number> = { ':minus': -ids.length };
    ids.forEach((id, i) => {
      names[`#l${i}`] = `${LEASE_PREFIX}${id}`;
      values[`:u${i}`] = leases[id]!;
    });
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: flowItemKey(tenantId, key),
          ConditionExpression: ids.map((_, i) => `#l${i} = :u${i}`).join(' AND '),
          UpdateExpression: `REMOVE ${ids.map((_, i) => `#l${i}`).join(', ')} ADD leaseCount :minus`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Removes a lease and counts it out, once: only if it is still there (and, reclaiming, still expiring at `until`). */
  private async endLease(tenantId: string, key: string, leaseId: string, until?: number): Promise<boolean> {
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: flowItemKey(tenantId, key),
          ConditionExpression: until === undefined ? 'attribute_exists(#lease)' : '#lease = :until',
          UpdateExpression: 'REMOVE #lease ADD leaseCount :minusOne',
          ExpressionAttributeNames: { '#lease': `${LEASE_PREFIX}${leaseId}` },
          ExpressionAttributeValues: { ':minusOne': -1, ...(until !== undefined && { ':until': until }) },
        }),
      ),
    );
  }

  /**
   * One conditional update that also moves the item's expiry to FLOW_ITEM_IDLE_MS from `now`;
   * the attributes it returns (an empty object unless asked), or undefined if the condition failed.
   * `isOwn`: whether the item as it stands after a failed condition shows the update applied (its
   * answer lost, its retry refused), which then counts as done.
   */
  private async update(
    tenantId: string,
    key: string,
    now: number,
    change: {
      condition: string;
      set: string;
      add?: string;
      names?: Record<string, string>;
      values: Record<string, unknown>;
      returnOld?: boolean;
      isOwn?: (current: Record<string, unknown>) => boolean;
    },
  ): Promise<Record<string, unknown> | undefined> {
    const expiry = expiryAttributes(now + FLOW_ITEM_IDLE_MS);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: flowItemKey(tenantId, key),
          ConditionExpression: change.condition,
          UpdateExpression:
            `SET ${change.set}, expiresAt = :expiresAt, expiresAtMs = :expiresAtMs` +
            (change.add === undefined ? '' : ` ADD ${change.add}`),
          ...(change.names && { ExpressionAttributeNames: change.names }),
          ExpressionAttributeValues: {
            ...change.values,
            ':expiresAt': expiry.expiresAt,
            ':expiresAtMs': expiry.expiresAtMs,
          },
          ...(change.returnOld && { ReturnValues: 'UPDATED_OLD' as const }),
          ...(change.isOwn && ITEM_ON_CONDITION_FAILURE),
        }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!change.isOwn) return undefined;
      const current = await itemAfterRefusal(this.db, this.table, flowItemKey(tenantId, key), error);
      return current && change.isOwn(current) ? {} : undefined;
    }
  }

  private async read(tenantId: string, key: string, projection?: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: flowItemKey(tenantId, key),
        ConsistentRead: true,
        ...(projection !== undefined && { ProjectionExpression: projection }),
      }),
    );
    return Item;
  }

  private hint(hintKey: string, busyUntil: number): void {
    if (this.busyUntil.size >= HINTS_MAX) this.busyUntil.clear();
    this.busyUntil.set(hintKey, busyUntil);
  }
}

const flowItemKey = (tenantId: string, key: string) => ({ pk: `T#${tenantId}`, sk: `F#${key}` });
