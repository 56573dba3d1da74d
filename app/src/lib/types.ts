/** The API's shapes as the web app reads them (openapi.yaml is the source of truth). */

import type { Attempt, FailureReason, MessageStatus } from '@vigil/core';

export type { Attempt, FailureReason, MessageStatus };

export const MESSAGE_STATUSES: MessageStatus[] = [
  'scheduled',
  'queued',
  'delivering',
  'retrying',
  'delivered',
  'failed',
  'cancelled',
];

/** Statuses a message can still leave on its own: rows in these are refreshed while on screen. */
export const LIVE_STATUSES: MessageStatus[] = ['scheduled', 'queued', 'delivering', 'retrying'];
/** Statuses in which a message can still be cancelled or rescheduled. */
export const PENDING_STATUSES: MessageStatus[] = ['scheduled', 'queued', 'retrying'];

export interface Message {
  id: string;
  status: MessageStatus;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  sendAt: string;
  nextAttemptAt?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  metadata: Record<string, string>;
  lastAttempt?: Attempt;
  failureReason?: FailureReason;
}

/** GET /v1/messages/{id}/attempts: the kept attempts, how many earlier ones are gone, and why it failed. */
export interface AttemptList {
  items: Attempt[];
  omitted: number;
  failureReason?: FailureReason;
}

export interface MessagePage {
  items: Message[];
  nextCursor: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt?: string;
}

export interface UsageDay {
  date: string;
  scheduled: number;
  delivered: number;
  failed: number;
  attempts: number;
}

export interface Usage {
  from: string;
  to: string;
  days: UsageDay[];
  plan: { name: string; monthlyMessages: number; ratePerSecond: number; burst: number };
  monthToDate: UsageDay;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ path: string; message: string }>;
}

/** What a server action hands back to the page: data, or an error a person can read. */
export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: string };
