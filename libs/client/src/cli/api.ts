/**
 * What the commands need from Vigil's API, in one small seam over the SDK (`new Vigil(...)`), so
 * each command reads as what it does and the tests of formatting need no server.
 */

export type MessageStatus = 'scheduled' | 'queued' | 'delivering' | 'delivered' | 'retrying' | 'failed' | 'cancelled';

export interface Attempt {
  n: number;
  startedAt: string;
  durationMs: number;
  latenessMs: number;
  statusCode?: number;
  error?: string;
  responseSnippet?: string;
  retryAfterMs?: number;
}

export interface Message {
  id: string;
  status: MessageStatus;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  sendAt: string;
  timezone?: string;
  localSendAt?: string;
  nextAttemptAt?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  metadata: Record<string, string>;
  lastAttempt?: Attempt;
  failureReason?: { code: string; detail: string };
}

export interface AttemptList {
  items: Attempt[];
  omitted: number;
  failureReason?: { code: string; detail: string };
}

export interface NewMessage {
  url: string;
  /** Seconds from now (the API's `delay`), or an instant or wall time (`sendAt`, with `timezone`). */
  delay?: number;
  sendAt?: string;
  timezone?: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  body?: unknown;
  retry?: { maxAttempts: number };
  metadata?: Record<string, string>;
}

export interface Api {
  create(message: NewMessage): Promise<Message>;
  get(id: string): Promise<Message>;
  attempts(id: string): Promise<AttemptList>;
  cancel(id: string): Promise<Message>;
  redeliver(id: string): Promise<Message>;
  page(query: { status?: MessageStatus; limit?: number; cursor?: string }): Promise<{
    items: Message[];
    nextCursor: string | null;
  }>;
}
