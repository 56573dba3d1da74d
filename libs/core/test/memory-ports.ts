/**
 * In-memory stand-ins for the ports, for unit tests of the pure domain only. The real adapters
 * are tested against the real local services in *.int.test.ts.
 */
import type {
  Attempt,
  BulkJob,
  BucketTimer,
  BulkJobQueue,
  BulkJobStepRef,
  BulkJobStore,
  CallbackRef,
  DeliveryQueue,
  DeliveryTicket,
  FailureReason,
  DeliveryTarget,
  EngineSettings,
  FlowLimiter,
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotentSettlement,
  Logger,
  Message,
  MessagePage,
  MessagePageQuery,
  MessageStore,
  NotificationEndpoint,
  NotificationEndpointStore,
  OutboundRequest,
  PendingRef,
  QuotaGuard,
  SchedulingDeps,
  SendResult,
  TenantDirectory,
  UsageCounts,
  UsageEvent,
  UsageMeter,
} from '../src';
import {
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryWorker,
  emptyCounts,
  expiredLeases,
  FixedClock,
  idleSince,
  idRangeOf,
  matchesFilter,
  leaseAdmits,
  nextSlot,
  isExpired,
  isTerminal,
  MessageAlreadyExistsError,
  QuotaExceededError,
  sendWindowMs,
  WAITING_STATUSES,
} from '../src';

const ref = (m: Message): PendingRef => ({
  tenantId: m.tenantId,
  messageId: m.id,
  version: m.version,
  status: m.status,
  dueAt: m.dueAt,
  ...(m.leaseUntil !== undefined && { leaseUntil: m.leaseUntil }),
});

/** What the store's sweep read gives (pendingBefore reads the message itself): with its origin and place. */
const sweptRef = (m: Message, pendingAt: number): PendingRef => ({
  ...ref(m),
  ...(m.origin && { origin: structuredClone(m.origin) }),
  pendingAt,
});

export class MemoryStore implements MessageStore {
  readonly messages = new Map<string, Message>();
  readonly keys = new Map<string, IdempotencyRecord & { expires: number }>();
  calls = 0;
  /** Every write, with the clock's time when it was made. */
  readonly writes: Array<{
    op: 'insert' | 'save' | 'take' | 'extend' | 'remove' | 'fail' | 'defer' | 'mark-waiting' | 'end-waiting';
    at: number;
  }> = [];
  /** Each lease a late worker extended to (extendLease). */
  readonly extendedLeases: number[] = [];
  /** Places in the pending index moved by the sweep (reset by any other write). */
  readonly deferred = new Map<string, number>();
  /** Makes the next `save` calls throw this (one per call, until the list is empty). */
  readonly saveFailures: unknown[] = [];
  /** Makes every `save` of these message ids throw. */
  readonly unsavable = new Set<string>();

  constructor(private readonly now: () => number = () => 0) {}

  async insert(message: Message) {
    this.calls += 1;
    this.writes.push({ op: 'insert', at: this.now() });
    if (this.messages.has(message.id)) throw new MessageAlreadyExistsError(message.id);
    this.deferred.delete(message.id);
    this.messages.set(message.id, structuredClone(message));
  }
  async save(message: Message, expectedVersion: number) {
    this.calls += 1;
    this.writes.push({ op: 'save', at: this.now() });
    if (this.saveFailures.length > 0) throw this.saveFailures.shift();
    if (this.unsavable.has(message.id)) {
      throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
        name: 'ValidationException',
      });
    }
    const current = this.messages.get(message.id);
    if (!current || current.version !== expectedVersion) return false;
    this.messages.set(message.id, structuredClone(message));
    this.deferred.delete(message.id);
    return true;
  }
  async fail(
    message: Pick<Message, 'tenantId' | 'id'>,
    expectedVersion: number,
    failure: { reason: FailureReason; now: number; expiresAt: number; attempts?: Attempt[]; callbacks?: CallbackRef[] },
  ) {
    this.calls += 1;
    this.writes.push({ op: 'fail', at: this.now() });
    const current = this.messages.get(message.id);
    if (!current || current.version !== expectedVersion || current.status !== 'delivering') return false;
    const { leaseUntil: _l, bucketAt: _b, takes: _t, flowWaitingSince: _w, ...rest } = current;
    this.messages.set(message.id, {
      ...rest,
      status: 'failed',
      failureReason: failure.reason,
      updatedAt: failure.now,
      expiresAt: failure.expiresAt,
      version: current.version + 1,
      ...(failure.attempts && { attempts: structuredClone(failure.attempts) }),
      ...(failure.callbacks && { callbacks: structuredClone(failure.callbacks) }),
    });
    this.deferred.delete(message.id);
    return true;
  }
  async deferPending(r: PendingRef, untilMs: number) {
    this.calls += 1;
    this.writes.push({ op: 'defer', at: this.now() });
    const current = this.messages.get(r.messageId);
    if (!current || current.version !== r.version || current.status !== r.status || isTerminal(current.status)) {
      return false;
    }
    const place = this.deferred.get(r.messageId) ?? current.dueAt;
    if (r.pendingAt !== undefined && place !== r.pendingAt && place !== untilMs) return false;
    this.deferred.set(r.messageId, untilMs);
    return true;
  }
  async get(tenantId: string, id: string) {
    this.calls += 1;
    const m = this.messages.get(id);
    return m && m.tenantId === tenantId && !isExpired(m, this.now()) ? structuredClone(m) : undefined;
  }
  /** The filter's messages within the cursor's id range, a page of them, without a scan budget. */
  async list(tenantId: string, query: MessagePageQuery): Promise<MessagePage> {
    const filter = query.filter ?? {};
    const range = idRangeOf(filter, query.cursor);
    const upwards = query.cursor?.direction === 'previous';
    const found = [...this.messages.values()]
      .filter((m) => m.tenantId === tenantId && matchesFilter(m, filter) && !isExpired(m, this.now()))
      .filter((m) => range !== undefined && m.id >= range.from && m.id <= range.to)
      .sort((a, b) => (a.id < b.id === upwards ? -1 : 1));
    const taken = found.slice(0, query.limit);
    const items = upwards ? taken.reverse() : taken;
    const more = found.length > query.limit;
    const newest = items[0]?.id;
    const oldest = items.at(-1)?.id;
    return {
      items: structuredClone(items),
      ...(upwards
        ? {
            ...(oldest && { next: { direction: 'next', id: oldest } }),
            ...(more && newest && { previous: { direction: 'previous', id: newest } }),
          }
        : {
            ...(more && oldest && { next: { direction: 'next', id: oldest } }),
            ...(query.cursor && newest && { previous: { direction: 'previous', id: newest } }),
          }),
    };
  }
  async take(ticket: DeliveryTicket, now: number, leaseFrom: number) {
    this.calls += 1;
    this.writes.push({ op: 'take', at: this.now() });
    const m = this.messages.get(ticket.messageId);
    if (!m || m.version !== ticket.version) return undefined;
    const free = WAITING_STATUSES.includes(m.status) || (m.status === 'delivering' && (m.leaseUntil ?? 0) < now);
    if (!free) return undefined;
    const { bucketAt: _b, flowWaitingSince: _w, ...rest } = m;
    const taken: Message = {
      ...rest,
      status: 'delivering',
      leaseUntil: leaseFrom + sendWindowMs(m),
      updatedAt: now,
      version: m.version + 1,
      takes: (m.takes ?? 0) + 1,
    };
    this.messages.set(m.id, taken);
    this.deferred.delete(m.id); // back at its due time
    return structuredClone(taken);
  }
  async extendLease(message: Pick<Message, 'tenantId' | 'id' | 'version'>, leaseUntil: number) {
    this.calls += 1;
    this.writes.push({ op: 'extend', at: this.now() });
    const m = this.messages.get(message.id);
    if (!m || m.version !== message.version || m.status !== 'delivering') return false;
    this.messages.set(m.id, { ...m, leaseUntil });
    this.extendedLeases.push(leaseUntil);
    return true;
  }
  async markWaitingForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>, since: number) {
    this.calls += 1;
    this.writes.push({ op: 'mark-waiting', at: this.now() });
    const m = this.messages.get(message.id);
    if (!m || m.version !== message.version || m.status !== 'delivering') return false;
    this.messages.set(m.id, { ...m, flowWaitingSince: since });
    return true;
  }
  async endWaitForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>) {
    this.calls += 1;
    this.writes.push({ op: 'end-waiting', at: this.now() });
    const m = this.messages.get(message.id);
    if (!m || m.version !== message.version || m.status !== 'delivering') return false;
    const { flowWaitingSince: _since, ...rest } = m;
    this.messages.set(m.id, { ...rest, version: m.version + 1 });
    return true;
  }
  async removeUnchanged(messages: ReadonlyArray<Pick<Message, 'tenantId' | 'id' | 'version'>>) {
    this.calls += 1;
    this.writes.push({ op: 'remove', at: this.now() });
    const kept: string[] = [];
    for (const { tenantId, id, version } of messages) {
      const stored = this.messages.get(id);
      if (stored?.tenantId !== tenantId) continue;
      if (stored.version === version) this.messages.delete(id);
      else kept.push(id);
    }
    return kept;
  }
  async findIdempotencyKey(tenantId: string, key: string, now: number) {
    const existing = this.keys.get(`${tenantId}/${key}`);
    // Held through its expiry instant, as the DynamoDB adapter holds it (free once `expiresAtMs < now`).
    if (!existing || existing.expires < now) return undefined;
    const { expires: _expires, ...bound } = existing;
    return structuredClone(bound);
  }
  async claimIdempotencyKey(
    tenantId: string,
    key: string,
    record: IdempotencyRecord,
    now: number,
    ttlMs: number,
  ): Promise<IdempotencyClaim> {
    const existing = this.keys.get(`${tenantId}/${key}`);
    if (existing && existing.expires >= now) {
      const { expires: _expires, ...bound } = existing;
      return { claimed: false, record: structuredClone(bound) };
    }
    this.keys.set(`${tenantId}/${key}`, { ...structuredClone(record), expires: now + ttlMs });
    return { claimed: true };
  }
  async takeOverIdempotencyKey(
    tenantId: string,
    key: string,
    fromOwner: string,
    toOwner: string,
    now: number,
    leaseUntil: number,
  ) {
    const existing = this.keys.get(`${tenantId}/${key}`);
    if (!existing || existing.owner !== fromOwner || existing.leaseUntil >= now) return false;
    const { settled: _undecided, ...rest } = existing;
    this.keys.set(`${tenantId}/${key}`, { ...rest, owner: toOwner, leaseUntil });
    return true;
  }
  async releaseIdempotencyKey(tenantId: string, key: string, owner: string) {
    const existing = this.keys.get(`${tenantId}/${key}`);
    if (existing?.owner === owner) this.keys.set(`${tenantId}/${key}`, { ...existing, leaseUntil: 0 });
  }
  async settleIdempotentResults(
    tenantId: string,
    key: string,
    owner: string,
    settlement: IdempotentSettlement,
    leaseUntil: number,
    ids?: readonly string[],
  ) {
    const existing = this.keys.get(`${tenantId}/${key}`);
    if (existing?.owner !== owner) return undefined;
    if (existing.settled !== undefined) return existing.settled;
    this.keys.set(`${tenantId}/${key}`, {
      ...existing,
      settled: settlement,
      ...(settlement === 'withdrawn' && { leaseUntil }),
      ...(settlement === 'kept' && ids && { messageIds: [...ids] }),
    });
    return settlement;
  }
  /** Buckets promoted to their end (markBucketPromoted). */
  readonly promotedBuckets = new Set<number>();
  async markBucketPromoted(bucketAt: number) {
    this.calls += 1;
    this.promotedBuckets.add(bucketAt);
  }
  async bucketPromoted(bucketAt: number) {
    this.calls += 1;
    return this.promotedBuckets.has(bucketAt);
  }
  async *bucketMembers(bucketAt: number) {
    for (const m of this.messages.values())
      if (m.bucketAt === bucketAt && WAITING_STATUSES.includes(m.status)) yield ref(m);
  }
  async *pendingBefore(beforeMs: number) {
    for (const m of this.messages.values()) {
      const at = this.deferred.get(m.id) ?? m.dueAt;
      if (!isTerminal(m.status) && at < beforeMs) yield sweptRef(m, at);
    }
  }
}

export class MemoryQueue implements DeliveryQueue {
  readonly sent: Array<{ ticket: DeliveryTicket; delaySeconds: number }> = [];
  async enqueue(entries: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number }>) {
    this.sent.push(...entries);
  }
}

export class MemoryTimer implements BucketTimer {
  readonly buckets = new Set<number>();
  async ensureBucket(bucketAt: number) {
    this.buckets.add(bucketAt);
  }
}

/** A tenant's notification endpoints and the deliveries noted on them, in memory. */
export class MemoryEndpoints implements NotificationEndpointStore {
  readonly endpoints: NotificationEndpoint[] = [];
  readonly deliveries: Array<{ endpointId: string; messageId: string }> = [];
  async listEndpoints(tenantId: string) {
    return structuredClone(this.endpoints.filter((e) => e.tenantId === tenantId));
  }
  async addEndpoint(endpoint: NotificationEndpoint) {
    this.endpoints.push(structuredClone(endpoint));
  }
  async removeEndpoint(tenantId: string, endpointId: string) {
    const i = this.endpoints.findIndex((e) => e.tenantId === tenantId && e.id === endpointId);
    if (i >= 0) this.endpoints.splice(i, 1);
    return i >= 0;
  }
  async recordDelivery(_tenantId: string, endpointId: string, messageId: string) {
    this.deliveries.push({ endpointId, messageId });
  }
  async recentDeliveries(_tenantId: string, endpointId: string, limit: number) {
    return this.deliveries
      .filter((d) => d.endpointId === endpointId)
      .map((d) => d.messageId)
      .reverse()
      .slice(0, limit);
  }
}

/** A tenant's one notification endpoint, for `message.failed` (made at `createdAt`). */
export const opsEndpoint = async (tenantId: string, createdAt: number, url = 'https://example.com/ops') => {
  const endpoints = new MemoryEndpoints();
  await endpoints.addEndpoint({
    id: 'nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
    tenantId,
    url,
    events: ['message.failed'],
    createdAt,
  });
  return endpoints;
};

/** Answers each request with the next scripted result (the last one repeats). */
export class ScriptedSender implements DeliveryTarget {
  readonly requests: Array<OutboundRequest & { at: number }> = [];
  /** The requests the worker asked to connect ahead for, and when. */
  readonly connectedAhead: Array<OutboundRequest & { at: number }> = [];
  constructor(
    private readonly script: SendResult[],
    private readonly now: () => number,
  ) {}
  async send(request: OutboundRequest): Promise<SendResult> {
    this.requests.push({ ...request, at: this.now() });
    return this.script[Math.min(this.requests.length - 1, this.script.length - 1)] as SendResult;
  }
  connectAhead(request: OutboundRequest): void {
    this.connectedAhead.push({ ...request, at: this.now() });
  }
}

/** Flow keys' turns in memory, by the rules of flow-control.ts (the DynamoDB adapter writes them as conditions). */
export class MemoryFlowLimiter implements FlowLimiter {
  readonly keys = new Map<string, { nextSlotAt?: number; leases: Record<string, number> }>();
  calls = 0;

  private state(tenantId: string, key: string) {
    const name = `${tenantId}/${key}`;
    const state = this.keys.get(name) ?? { leases: {} };
    this.keys.set(name, state);
    return state;
  }

  async reserveSlot(
    tenantId: string,
    key: string,
    slot: { from: number; spacingMs: number; latest: number },
  ): Promise<{ slotAt: number } | { freeAt: number }> {
    this.calls += 1;
    const state = this.state(tenantId, key);
    const next = nextSlot(state, slot.from, slot.spacingMs, slot.latest);
    if (!next) return { freeAt: state.nextSlotAt ?? slot.from };
    state.nextSlotAt = next.state.nextSlotAt;
    return { slotAt: next.slotAt };
  }

  async acquireLease(
    tenantId: string,
    key: string,
    lease: { id: string; until: number; parallelism: number },
  ): Promise<boolean> {
    this.calls += 1;
    const state = this.state(tenantId, key);
    if (!leaseAdmits(state, lease.parallelism) || lease.id in state.leases) return false;
    state.leases = { ...state.leases, [lease.id]: lease.until };
    return true;
  }

  async releaseLease(tenantId: string, key: string, leaseId: string): Promise<void> {
    this.calls += 1;
    const state = this.state(tenantId, key);
    const { [leaseId]: _gone, ...rest } = state.leases;
    state.leases = rest;
  }

  async reclaimExpiredLeases(tenantId: string, key: string, now: number): Promise<{ reclaimed: number; held: number }> {
    this.calls += 1;
    const state = this.state(tenantId, key);
    const expired = expiredLeases(state, now);
    state.leases = Object.fromEntries(Object.entries(state.leases).filter(([id]) => !expired.includes(id)));
    return { reclaimed: expired.length, held: Object.keys(state.leases).length };
  }
}

export const silentLog: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** What creating and changing messages needs, in memory, on `clock`: a store, queue and timer, the default settings. */
export const memorySchedulingDeps = (
  clock: FixedClock,
  over: Partial<SchedulingDeps> = {},
): SchedulingDeps & { store: MemoryStore } =>
  ({
    store: new MemoryStore(() => clock.now()),
    queue: new MemoryQueue(),
    timer: new MemoryTimer(),
    clock,
    settings: DEFAULT_ENGINE_SETTINGS,
    log: silentLog,
    ...over,
  }) as SchedulingDeps & { store: MemoryStore };

/**
 * Keeps every usage event handed to it, with the number of store writes made before it (to
 * check what is metered before the record write), and counts them as the ledger does: each id once.
 */
export class MemoryMeter implements UsageMeter {
  readonly recorded: Array<{ event: UsageEvent; writesBefore: number }> = [];
  constructor(private readonly store?: MemoryStore) {}
  async record(events: readonly UsageEvent[]) {
    for (const event of events) this.recorded.push({ event, writesBefore: this.store?.writes.length ?? 0 });
  }
  ids(): string[] {
    return this.recorded.map((r) => r.event.id);
  }
  counts(): UsageCounts {
    const counts = emptyCounts();
    for (const event of new Map(this.recorded.map((r) => [r.event.id, r.event])).values()) counts[event.kind] += 1;
    return counts;
  }
}

/**
 * The engine in memory at a fixed clock: store, queue and timer, a scripted sender, and a delivery
 * worker over them that signs with `secret` for a tenant on `plan` (unless `tenants` says otherwise).
 */
export const deliveryHarness = (options: {
  t0: number;
  secret: string;
  plan?: string;
  script?: SendResult[];
  settings?: Partial<EngineSettings>;
  tenants?: TenantDirectory;
  meter?: UsageMeter;
  flowLimiter?: FlowLimiter;
  endpoints?: NotificationEndpointStore;
}) => {
  const clock = new FixedClock(options.t0);
  const store = new MemoryStore(() => clock.now());
  const queue = new MemoryQueue();
  const settings = { ...DEFAULT_ENGINE_SETTINGS, ...options.settings };
  const deps: SchedulingDeps = {
    store,
    queue,
    timer: new MemoryTimer(),
    clock,
    settings,
    log: silentLog,
    ...(options.meter && { meter: options.meter }),
  };
  const sender = new ScriptedSender(options.script ?? [{ statusCode: 200 }], () => clock.now());
  let tenantReads = 0;
  const tenants: TenantDirectory = options.tenants ?? {
    forDelivery: async () => {
      tenantReads += 1;
      return { signingSecrets: [options.secret], plan: options.plan ?? 'free' };
    },
  };
  const worker = new DeliveryWorker({
    ...deps,
    tenants,
    deliveryTargets: { http: sender },
    backoff: DEFAULT_BACKOFF,
    random: () => 0.5,
    ...(options.flowLimiter && { flowLimiter: options.flowLimiter }),
    ...(options.endpoints && { endpoints: options.endpoints }),
  });
  /** Delivers the latest ticket on the queue, with the clock set to when the queue surfaces it (a second before due). */
  const deliverLatest = () => {
    const { ticket } = queue.sent.at(-1)!;
    clock.set(Math.max(clock.now(), ticket.dueAt - 1_000));
    return worker.deliver(ticket);
  };
  return { clock, store, queue, deps, sender, worker, deliverLatest, tenantReads: () => tenantReads };
};

/** A quota of `limit` messages, counted like the real guard. */
export class CountingQuota implements QuotaGuard {
  used = 0;
  constructor(public limit: number) {}
  async assertWithin(_tenantId: string, adding: number) {
    if (this.used + adding > this.limit) throw new QuotaExceededError('quota used up');
    this.used += adding;
    let released = false;
    return {
      release: (stored = 0) => {
        if (!released) this.used -= Math.max(0, adding - stored);
        released = true;
      },
    };
  }
}

/** Bulk jobs and running places in memory, with the store's conditions; the queue keeps what was sent. */
export class MemoryBulkJobs implements BulkJobStore, BulkJobQueue {
  readonly jobs = new Map<string, BulkJob>();
  readonly running = new Map<string, { jobs: Record<string, number>; version: number }>();
  readonly sent: BulkJobStepRef[] = [];

  async insert(job: BulkJob) {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} exists`);
    this.jobs.set(job.id, structuredClone(job));
  }
  async get(tenantId: string, jobId: string) {
    const job = this.jobs.get(jobId);
    return job && job.tenantId === tenantId ? structuredClone(job) : undefined;
  }
  async listJobs(tenantId: string, query: { limit: number; states?: readonly BulkJob['state'][]; after?: string }) {
    const matching = [...this.jobs.values()]
      .filter((job) => job.tenantId === tenantId && (query.after === undefined || job.id < query.after))
      .filter((job) => query.states === undefined || query.states.includes(job.state))
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const jobs = matching.slice(0, query.limit).map((job) => structuredClone(job));
    return { jobs, ...(matching.length > query.limit && { next: jobs.at(-1)!.id }) };
  }
  async save(job: BulkJob, expectedStep: number, unchangedSince?: number) {
    const current = this.jobs.get(job.id);
    if (!current || current.step !== expectedStep || current.state !== 'running') return false;
    if (unchangedSince !== undefined && current.updatedAt !== unchangedSince) return false;
    this.jobs.set(job.id, structuredClone(job));
    return true;
  }
  async choosePage(job: BulkJob) {
    const current = this.jobs.get(job.id);
    if (!current || current.step !== job.step || current.state !== 'running' || current.page) return false;
    this.jobs.set(job.id, structuredClone(job));
    return true;
  }
  async runningJobs(tenantId: string) {
    return structuredClone(this.running.get(tenantId) ?? { jobs: {}, version: 0 });
  }
  async setRunningJobs(tenantId: string, jobs: Record<string, number>, expectedVersion: number) {
    const current = this.running.get(tenantId) ?? { jobs: {}, version: 0 };
    if (current.version !== expectedVersion) return false;
    this.running.set(tenantId, { jobs: { ...jobs }, version: expectedVersion + 1 });
    return true;
  }
  async *idleRunningJobs(beforeMs: number) {
    for (const job of this.jobs.values()) {
      if (job.state === 'running' && idleSince(job) < beforeMs) yield { tenantId: job.tenantId, jobId: job.id };
    }
  }
  async noteResumed(job: BulkJob, at: number, revived = false) {
    const current = this.jobs.get(job.id);
    if (current?.state !== 'running' || current.step !== job.step || current.updatedAt !== job.updatedAt) return false;
    current.resumedAt = at;
    if (revived) current.revivedAt = at;
    return true;
  }
  async enqueue(step: BulkJobStepRef) {
    this.sent.push(step);
  }
}
