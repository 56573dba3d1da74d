/**
 * The ports: what the domain needs from the outside world. `libs/aws` implements them with AWS
 * SDK clients (which the local stack points at local services); tests may use the same adapters
 * against local services, or small fakes where a unit test needs no I/O.
 */
import type { BulkJob, BulkJobListPage, BulkJobState, BulkJobStepRef } from './bulk-jobs';
import type { NotificationEndpoint } from './event-webhooks';
import type { ListCursor, MessageFilter } from './message-filter';
import type {
  Attempt,
  CallbackRef,
  FailureReason,
  HttpMethod,
  LatenessReason,
  Message,
  MessageOrigin,
  MessageStatus,
  SendOutcome,
  TicketLatenessReason,
} from './message';

/** What the delivery queue carries: just enough to take the message at its due time. */
export interface DeliveryTicket {
  tenantId: string;
  messageId: string;
  /** The message version this ticket was issued for; a newer version makes it stale. */
  version: number;
  /** When the attempt is due (epoch ms). */
  dueAt: number;
  /**
   * Why the message may be late when this ticket reaches a worker, from the sweep's nets that send
   * it (`recovered`, `timer-missed`), or from a worker that handed it back already late (the reason
   * it was late for, kept across the hand-back): its attempt gives it as its `latenessReason` when
   * it was late. Absent from every other ticket, and from tickets sent before it existed.
   */
  latenessReason?: TicketLatenessReason;
}

export interface DeliveryQueue {
  /**
   * Puts tickets on the queue; each becomes visible after its `delaySeconds` (0..900). A `prompt`
   * ticket is not to wait while its consumer gathers a batch (due too soon, or it fills one with
   * the tickets beside it): it goes where a worker gets it as it comes (the prompt queue; a queue
   * that does not gather may take it with the rest).
   */
  enqueue(entries: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number; prompt?: boolean }>): Promise<void>;
}

/** The far-future timer: one one-shot timer per bucket, which fires the promote step. */
export interface BucketTimer {
  /** Makes sure a timer exists that fires at `bucketAt` (idempotent). */
  ensureBucket(bucketAt: number): Promise<void>;
}

/** A pointer to a message that still has something to happen to it. */
export interface PendingRef {
  tenantId: string;
  messageId: string;
  version: number;
  status: MessageStatus;
  dueAt: number;
  leaseUntil?: number;
  /**
   * An event delivery's origin, where the sweep read the message itself (pendingBefore): the sweep
   * checks the end it tells of before sending it again (event-webhooks.ts eventFoundation).
   */
  origin?: MessageOrigin;
  /**
   * Its place in the pending index, where the sweep read the message itself (pendingBefore): past
   * `dueAt` once the sweep deferred it (deferPending), as it does each message it hands on.
   */
  pendingAt?: number;
}

/** Structured, safe logging: fields are ids and figures, never secrets or bodies. */
export interface Logger {
  /** What only someone looking into the process wants (VIGIL_LOG_LEVEL=debug); a logger may have none. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface MessagePageQuery {
  /** Which messages; none: all of them. */
  filter?: MessageFilter;
  limit: number;
  /** Where the page starts; none: the newest messages. */
  cursor?: ListCursor;
}

/**
 * Up to `limit` matching messages, newest first, and where the pages before and after start (each
 * absent when the store knows there is nothing there). A page may hold fewer than `limit` with a
 * `next` cursor: it read its budget (LIST_SCAN_BUDGET) before finding them all.
 */
export interface MessagePage {
  items: Message[];
  next?: ListCursor;
  previous?: ListCursor;
}

/** What an Idempotency-Key is bound to, for 24 hours from its first use. */
export interface IdempotencyRecord {
  /**
   * What the request that first used the key created, in request order: its messages (one for a
   * single create), or the bulk job it started.
   */
  messageIds: string[];
  /** The request's fingerprint (`requestFingerprint`); absent on keys claimed before fingerprints were kept. */
  fingerprint?: string;
  /** The request writing those messages now (unique per request); '' on keys claimed before owners were kept. */
  owner: string;
  /**
   * Until when the owner is presumed to be writing (epoch ms). Once passed with messages still
   * missing, the owner died or failed, and a retry of the same request may take over.
   */
  leaseUntil: number;
  /**
   * What became of the owner's results, decided once (`settleIdempotentResults`): `kept` when a
   * retry found them all stored and answered with them, or when the owner wrote results a tenant may
   * remove (`IdempotentResults.removable`): the request is done, and a repeat that finds them gone
   * makes nothing again; `withdrawn` when the owner's write failed and it deletes what it may have
   * stored. Absent while undecided; a take-over clears it.
   */
  settled?: IdempotentSettlement;
}

export type IdempotentSettlement = 'kept' | 'withdrawn';

export type IdempotencyClaim = { claimed: true } | { claimed: false; record: IdempotencyRecord };

export interface MessageStore {
  /** Writes a new message; throws `MessageAlreadyExistsError` if the id is taken. */
  insert(message: Message): Promise<void>;
  /** Replaces a message if its stored version is still `expectedVersion`; false if it moved on. */
  save(message: Message, expectedVersion: number): Promise<boolean>;
  /** The message, unless it is missing or expired (past its `expiresAt`, deleted or not yet). */
  get(tenantId: string, messageId: string): Promise<Message | undefined>;
  /**
   * One page of the messages `query.filter` selects, newest first, without bodies, reading at most
   * LIST_SCAN_BUDGET items. Expired messages are left out.
   */
  list(tenantId: string, query: MessagePageQuery): Promise<MessagePage>;
  /**
   * Takes a message for delivery in one conditional write: only if the ticket's version is
   * current and nobody holds it (a duplicate ticket or a cancel makes this return undefined).
   * Returns the message as taken (status `delivering`, version bumped, `takes` counted up by one: a
   * save that records an attempt resets it), its lease ending at `leaseFrom` plus its
   * `sendWindowMs` (take-lease.ts; a message stored before the window was kept: LEGACY_SEND_WINDOW_MS).
   */
  take(ticket: DeliveryTicket, now: number, leaseFrom: number): Promise<Message | undefined>;
  /**
   * Moves a taken message's lease to `leaseUntil` if it is still this take's (the version the take
   * left, still `delivering`), in one small conditional update that changes nothing else, so the
   * record after the send still finds its version. False if another worker has taken it since (or
   * it moved on): then the late worker must not send.
   */
  extendLease(message: Pick<Message, 'tenantId' | 'id' | 'version'>, leaseUntil: number): Promise<boolean>;
  /**
   * Marks a taken message as waiting for its flow key's turn since `since` (`flowWaitingSince`), if
   * it is still this take's, in one small conditional update that changes nothing else (the version
   * stays): from then on a cancel may stop it. False if it moved on.
   */
  markWaitingForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>, since: number): Promise<boolean>;
  /**
   * Ends a marked wait for a turn, if the message is still this take's and still `delivering`: the
   * mark goes and the version is bumped (to `version + 1`), so a cancel that read it marked loses
   * its conditional write; one that came first has made this return false. The worker sends only
   * after true.
   */
  endWaitForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>): Promise<boolean>;
  /**
   * Finishes a taken message `failed` with a reason, if it is still `delivering` at `expectedVersion`,
   * in one small conditional update that never rewrites the body or headers (so it fits where a full
   * save could not). `attempts`, when given, replaces the attempt log; `expiresAt` is when the
   * failed message expires (retention.ts). False if the message moved on (a record that ended the
   * round keeps the take's version: the status tells it apart).
   */
  fail(
    message: Pick<Message, 'tenantId' | 'id'>,
    expectedVersion: number,
    failure: { reason: FailureReason; now: number; expiresAt: number; attempts?: Attempt[]; callbacks?: CallbackRef[] },
  ): Promise<boolean>;
  /**
   * Moves a still-pending message's place in the pending index to `untilMs` if it is unchanged
   * since `ref` was read (the sweep: its ticket is in flight), and, when `ref` says where it was
   * (`pendingAt`), still there: of two sweeps that read it at one place, one moves it. False if it
   * moved on.
   */
  deferPending(ref: PendingRef, untilMs: number): Promise<boolean>;
  /**
   * Deletes the messages of a request that failed part-way (never acknowledged), each only while
   * it is still as that request wrote it (its `version`): one a worker took meanwhile (the sweep
   * finds a stored message before its request answers) is kept, and its id returned, so nothing
   * sent is deleted and then written and sent again by the request's retry. Missing ones are skipped.
   */
  removeUnchanged(messages: ReadonlyArray<Pick<Message, 'tenantId' | 'id' | 'version'>>): Promise<string[]>;
  /** What a live (unexpired) Idempotency-Key is bound to, if anything: a read, no claim. */
  findIdempotencyKey(tenantId: string, key: string, now: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Binds an idempotency key to a request (its messages, fingerprint and owner) for `ttlMs`, in
   * one conditional write; if the key is already bound and not expired, returns what it is bound to.
   */
  claimIdempotencyKey(
    tenantId: string,
    key: string,
    record: IdempotencyRecord,
    now: number,
    ttlMs: number,
  ): Promise<IdempotencyClaim>;
  /**
   * Hands a key whose lease ran out to a new owner, only if `fromOwner` still holds it and its
   * lease is still over at `now` (so of two retries at most one takes over). True if it did.
   */
  takeOverIdempotencyKey(
    tenantId: string,
    key: string,
    fromOwner: string,
    toOwner: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean>;
  /**
   * Ends `owner`'s lease at once, keeping the binding (a failed request's retry with the same key
   * takes over without waiting); does nothing if another owner holds the key.
   */
  releaseIdempotencyKey(tenantId: string, key: string, owner: string): Promise<void>;
  /**
   * Decides what becomes of `owner`'s results under the key, in one conditional write: `kept` or
   * `withdrawn` (see `IdempotencyRecord.settled`), only while `owner` holds the key and nothing else
   * was decided. A withdrawal also leases the key to its owner until `leaseUntil`, for its deletes.
   * A keep with `ids` binds the key to them in the same write: the ids of what the request answered
   * with, where they may not be the ones it bound (an endpoint add answered with the URL's endpoint).
   * Returns the decision the key holds afterwards (this one, or the other one made first), or
   * undefined when the key is no longer `owner`'s.
   */
  settleIdempotentResults(
    tenantId: string,
    key: string,
    owner: string,
    settlement: IdempotentSettlement,
    leaseUntil: number,
    ids?: readonly string[],
  ): Promise<IdempotentSettlement | undefined>;
  /** Messages waiting in a far-path bucket (every shard, every page). */
  bucketMembers(bucketAt: number): AsyncIterable<PendingRef>;
  /** Notes that a bucket was promoted to its end (kept a day), so the sweep leaves it to its timer. */
  markBucketPromoted(bucketAt: number): Promise<void>;
  /** Whether a bucket was promoted to its end (`markBucketPromoted`). */
  bucketPromoted(bucketAt: number): Promise<boolean>;
  /**
   * Non-terminal messages whose place in the pending index is before `beforeMs`, earliest first per
   * shard, as they are now. A message's place is its due time, or where the sweep deferred it
   * (`deferPending`) until its next write; a worker's take puts it at its due time, so a message held
   * by a worker is among them from its due time on, with its lease (`leaseUntil`) to tell whether it
   * is overdue.
   */
  pendingBefore(beforeMs: number): AsyncIterable<PendingRef>;
}

/** What delivering a tenant's message needs to know about the tenant: read once per delivery. */
export interface TenantForDelivery {
  /** The tenant's current webhook signing secrets (`whsec_...`); the first is the newest. */
  signingSecrets: string[];
  /** The tenant's plan name: how long its finished messages are kept (retention.ts). */
  plan: string;
}

export interface TenantDirectory {
  /**
   * The tenant as delivery needs it (signing secrets, plan). Throws `TenantNotFoundError` when the
   * tenant does not exist (any other error is taken as passing).
   */
  forDelivery(tenantId: string): Promise<TenantForDelivery>;
}

export interface OutboundRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** What a target answered (SendOutcome, as an attempt keeps it), and what only the sender's caller needs. */
export interface SendResult extends SendOutcome {
  /** The target can never be reached as given (e.g. a blocked address): retrying is pointless. */
  permanent?: boolean;
  /**
   * How long the request waited for a connection of its own before it went on the wire (a
   * sender's limit of connections to one origin, all in use): the attempt starts when it went.
   */
  waitedMs?: number;
}

/**
 * Where a delivery goes, by type. A message's target type follows from its URL's scheme
 * (`targetTypeOf` in delivery-target.ts); HTTP is the only type so far.
 */
export type TargetType = 'http';

/** Sends one delivery to a target of one type (the HTTP sender is the first adapter). */
export interface DeliveryTarget {
  send(request: OutboundRequest): Promise<SendResult>;
  /**
   * Gets ready to send `request` soon: the HTTP sender resolves its host and opens the connection
   * (TCP's and TLS's handshakes, round trips to the receiver), so the send at the due instant only
   * writes. Sends nothing and never throws; a connection no send takes is closed after a while.
   */
  connectAhead?(request: OutboundRequest): void;
}

/** One adapter per target type, registered by the wiring (a type left out does not compile). */
export type DeliveryTargets = Readonly<Record<TargetType, DeliveryTarget>>;

/** What happened, for logs and metrics; never secrets or bodies. */
export interface EngineEvents {
  /** `latenessReason` as the attempt records it: why it went out late, when the engine knows. */
  delivered?(event: {
    tenantId: string;
    messageId: string;
    attempt: number;
    latenessMs: number;
    latenessReason?: LatenessReason;
  }): void;
  attemptFailed?(event: {
    tenantId: string;
    messageId: string;
    attempt: number;
    statusCode?: number;
    error?: string;
    final: boolean;
  }): void;
}

/**
 * A tenant's notification endpoints (at most MAX_NOTIFICATION_ENDPOINTS), and which event
 * deliveries went to each (a short memory for the console: the deliveries are messages).
 */
export interface NotificationEndpointStore {
  /** The tenant's endpoints, oldest first. */
  listEndpoints(tenantId: string): Promise<NotificationEndpoint[]>;
  addEndpoint(endpoint: NotificationEndpoint): Promise<void>;
  /**
   * False when the tenant has no such endpoint (known: a store that cannot tell throws); true when
   * it was there and is gone, removed by this call, including by a send whose answer was lost (the
   * store's retry then finding it gone, or its error thrown and the endpoint found gone).
   */
  removeEndpoint(tenantId: string, endpointId: string): Promise<boolean>;
  /** Notes that message `messageId` delivers an event to the endpoint; forgotten after `keepUntil`. */
  recordDelivery(tenantId: string, endpointId: string, messageId: string, keepUntil: number): Promise<void>;
  /** The ids of the latest deliveries to the endpoint, newest first, at most `limit`. */
  recentDeliveries(tenantId: string, endpointId: string, limit: number): Promise<string[]>;
}

/**
 * The state of flow control (flow-control.ts), where every worker of the deployment sees it: one
 * record per tenant and flow key, changed only by conditional writes. Each operation is the rule
 * of flow-control.ts applied atomically.
 */
export interface FlowLimiter {
  /**
   * Reserves the key's next start slot at or after `from` (the `nextSlot` rule, slots `spacingMs`
   * apart) unless it would be after `latest`. Returns the slot, or when the key's next free slot is.
   */
  reserveSlot(
    tenantId: string,
    key: string,
    slot: { from: number; spacingMs: number; latest: number; now: number },
  ): Promise<{ slotAt: number } | { freeAt: number }>;
  /** Takes a lease (`leaseId`, expiring at `until`) if fewer than `parallelism` are held. */
  acquireLease(
    tenantId: string,
    key: string,
    lease: { id: string; until: number; parallelism: number; now: number },
  ): Promise<boolean>;
  /** Gives a lease back (nothing if it was reclaimed meanwhile). */
  releaseLease(tenantId: string, key: string, leaseId: string): Promise<void>;
  /**
   * Reads the key's leases and removes those expired at `now` (their holders died): how many it
   * removed, and how many are held after that. A full key's waiters poll with it: a read, where a
   * refused `acquireLease` is a write.
   */
  reclaimExpiredLeases(tenantId: string, key: string, now: number): Promise<{ reclaimed: number; held: number }>;
}

/**
 * Bulk jobs (bulk-jobs.ts) and each tenant's running-job places (at most MAX_RUNNING_JOBS), changed
 * only by conditional writes, so concurrent steps or starts never overwrite each other.
 */
export interface BulkJobStore {
  /** Writes a new job; throws if the id is taken. */
  insert(job: BulkJob): Promise<void>;
  /** The job, unless it is missing or expired. */
  get(tenantId: string, jobId: string): Promise<BulkJob | undefined>;
  /**
   * Up to `limit` of the tenant's jobs (unexpired, in one of `states` if given), newest first,
   * from after the job `after` on; `next` names the last job read when more may follow. A page
   * reads at most JOB_LIST_SCAN_BUDGET jobs: it may hold fewer than `limit` and still have a `next`.
   */
  listJobs(
    tenantId: string,
    query: { limit: number; states?: readonly BulkJobState[]; after?: string },
  ): Promise<BulkJobListPage>;
  /**
   * Replaces a job if it is still at step `expectedStep` and running (and with `unchangedSince`,
   * still last written at that `updatedAt`); false if it moved on.
   */
  save(job: BulkJob, expectedStep: number, unchangedSince?: number): Promise<boolean>;
  /**
   * Replaces a job carrying the page its current step acts on (`job.page`), if it is still at that
   * step, running, and has no page chosen yet; false otherwise (another run of the step chose first).
   */
  choosePage(job: BulkJob): Promise<boolean>;
  /** The tenant's running jobs (job id → when it took its place, epoch ms) and the record's version. */
  runningJobs(tenantId: string): Promise<{ jobs: Record<string, number>; version: number }>;
  /** Replaces the tenant's running jobs if the record is still at `expectedVersion`; false if it moved on. */
  setRunningJobs(tenantId: string, jobs: Record<string, number>, expectedVersion: number): Promise<boolean>;
  /**
   * Every tenant's running jobs idle since before `beforeMs` (the later of `updatedAt` and
   * `resumedAt`, see idleSince): which jobs, not as they are now.
   */
  idleRunningJobs(beforeMs: number): AsyncIterable<{ tenantId: string; jobId: string }>;
  /**
   * Sets `resumedAt` of a job still running as `job` was read (same step, `updatedAt` unchanged), and
   * `revivedAt` too when `revived` (a start-up that lost its queues), nothing else of it; false if it
   * moved on or ended.
   */
  noteResumed(job: BulkJob, at: number, revived?: boolean): Promise<boolean>;
}

/** Where a job's steps wait for the engine (SQS on AWS, the local queue on the local stack). */
export interface BulkJobQueue {
  enqueue(step: BulkJobStepRef): Promise<void>;
}

/**
 * One secret, such as the session secret the console signs its sessions with and the authorizer
 * checks them with: the SSM parameter on AWS (libs/aws, secret-source.ts), a value locally.
 * Undefined when the deployment has none (e.g. no web app: no session tokens).
 */
export interface SecretSource {
  get(): Promise<string | undefined>;
}
