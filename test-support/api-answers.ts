/**
 * The API's answers as its contract has them (every field the client checks, answer-shapes.ts), for
 * client tests whose fetch or server answers in the API's place: a test names only what it is about.
 */
import type { BulkJob, Message, NotificationEndpoint } from '../libs/client/src/types';

/** A message waiting to be sent, then `over`. */
export const messageOut = (over: Partial<Message> = {}): Message => ({
  id: 'msg_01JDX0000000000000000000AA',
  status: 'scheduled',
  url: 'https://example.com/hook',
  method: 'POST',
  headers: {},
  sendAt: '2026-12-24T08:00:00.000Z',
  createdAt: '2026-12-01T08:00:00.000Z',
  updatedAt: '2026-12-01T08:00:00.000Z',
  attempts: 0,
  maxAttempts: 8,
  timeoutMs: 10_000,
  metadata: {},
  labels: [],
  ...over,
});

/** A bulk redeliver by filter that has just started, then `over`. */
export const jobOut = (over: Partial<BulkJob> = {}): BulkJob => ({
  id: 'job_01JDX0000000000000000000AA',
  action: 'redeliver',
  state: 'running',
  selection: { filter: { status: ['failed'] } },
  counts: { done: 0, skipped: 0, failed: 0 },
  total: null,
  createdAt: '2026-12-01T08:00:00.000Z',
  updatedAt: '2026-12-01T08:00:00.000Z',
  finishedAt: null,
  ...over,
});

/** A notification endpoint for every event, then `over`. */
export const endpointOut = (over: Partial<NotificationEndpoint> = {}): NotificationEndpoint => ({
  id: 'nep_01JDX0000000000000000000AA',
  url: 'https://ops.example/hook',
  events: ['message.failed', 'key.created', 'key.revoked'],
  createdAt: '2026-12-01T08:00:00.000Z',
  ...over,
});
