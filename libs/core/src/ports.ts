/**
 * The ports: what the domain needs from the outside world. `libs/aws` implements them with AWS
 * SDK clients (which the local stack points at local services); tests may use the same adapters
 * against local services, or small fakes where a unit test needs no I/O.
 */
import type { Attempt, FailureReason, HttpMethod, Message, MessageStatus } from './message';

/** What the delivery queue carries: just enough to take the message at its due time. */
export interface DeliveryTicket {
  tenantId: string;
  messageId: string;
  /** The message version this ticket was issued for; a newer version makes it stale. */
  version: number;
  /** When the attempt is due (epoch ms). */
  dueAt: number;
}

export interface DeliveryQueue {
  /** Puts tickets on the queue; each becomes visible after its `delaySeconds` (0..900). */
  enqueue(entries: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number }>): Promise<void>;
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
}

/** Structured, safe logging: fields are ids and figures, never secrets or bodies. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface MessagePageQuery {
  status?: MessageStatus;
  limit: number;
  cursor?: string;
}

export interface MessagePage {
  items: Message[];
  nextCursor?: string;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; messageId: string };

export interface MessageStore {
  /** Writes a new message; throws `MessageAlreadyExistsError` if the id is taken. */
  insert(message: Message): Promise<void>;
  /** Replaces a message if its stored version is still `expectedVersion`; false if it moved on. */
  save(message: Message, expectedVersion: number): Promise<boolean>;
  get(tenantId: string, messageId: string): Promise<Message | undefined>;
  /** Newest first, without bodies; `status` narrows. */
  list(tenantId: string, query: MessagePageQuery): Promise<MessagePage>;
  /**
   * Takes a message for delivery in one conditional write: only if the ticket's version is
   * current and nobody holds it (a duplicate ticket or a cancel makes this return undefined).
   * Returns the message as taken (status `delivering`, version bumped, lease set, `takes` counted
   * up by one: a save that records an attempt resets it).
   */
  take(ticket: DeliveryTicket, now: number, leaseUntil: number): Promise<Message | undefined>;
  /**
   * Finishes a message `failed` with a reason, if its version is still `expectedVersion`, in one
   * small conditional update that never rewrites the body or headers (so it fits where a full
   * save could not). `attempts`, when given, replaces the attempt log. False if the message moved on.
   */
  fail(
    message: Pick<Message, 'tenantId' | 'id'>,
    expectedVersion: number,
    failure: { reason: FailureReason; now: number; attempts?: Attempt[] },
  ): Promise<boolean>;
  /**
   * Moves a still-pending message's place in the pending index to `untilMs` if it is unchanged
   * since `ref` was read (the sweep: its ticket is in flight). False if it moved on.
   */
  deferPending(ref: PendingRef, untilMs: number): Promise<boolean>;
  /** Reserves an idempotency key for a message id, or tells which message already holds it. */
  claimIdempotencyKey(
    tenantId: string,
    key: string,
    messageId: string,
    now: number,
    ttlMs: number,
  ): Promise<IdempotencyClaim>;
  /** Messages waiting in a far-path bucket (every shard, every page). */
  bucketMembers(bucketAt: number): AsyncIterable<PendingRef>;
  /**
   * Non-terminal messages whose next step is due before `beforeMs` (for a message held by a
   * worker: whose lease ends before it), earliest first per shard.
   */
  pendingBefore(beforeMs: number): AsyncIterable<PendingRef>;
}

export interface TenantDirectory {
  /**
   * The tenant's current webhook signing secrets (`whsec_...`); the first is the newest. Throws
   * `TenantNotFoundError` when the tenant does not exist (any other error is taken as passing).
   */
  signingSecrets(tenantId: string): Promise<string[]>;
}

export interface OutboundRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface SendResult {
  statusCode?: number;
  /** Set when no HTTP response arrived: timeout, refused connection, blocked target... */
  error?: string;
  /** The start of the response body: at most 1024 UTF-8 bytes once decoded. */
  responseSnippet?: string;
  /** A 429 or 503's `Retry-After` (delta-seconds or HTTP-date) as a wait from now, in ms. */
  retryAfterMs?: number;
  /** The target can never be reached as given (e.g. a blocked address): retrying is pointless. */
  permanent?: boolean;
}

export interface HttpSender {
  send(request: OutboundRequest): Promise<SendResult>;
}

/** What happened, for logs and metrics; never secrets or bodies. */
export interface EngineEvents {
  delivered?(event: { tenantId: string; messageId: string; attempt: number; latenessMs: number }): void;
  attemptFailed?(event: {
    tenantId: string;
    messageId: string;
    attempt: number;
    statusCode?: number;
    error?: string;
    final: boolean;
  }): void;
}
