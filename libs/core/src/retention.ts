/**
 * Retention: a message that reached a final state (delivered, failed, cancelled) is kept, with its
 * attempt log, for its tenant's plan's `retentionDays` from that moment, then it expires: reads
 * treat it as gone at once, and the store deletes it later (DynamoDB TTL on AWS, the local
 * stack's reaper). A message that is still waiting or being delivered never expires, and a
 * redeliver (final → waiting again) takes the expiry away. Pure: time comes in as an argument.
 */
import type { Message } from './message';
import { isTerminal } from './message';
import { PLANS, planNamed } from './plans';
import type { EngineSettings } from './settings';

export const DAY_MS = 86_400_000;

/** How long a finished message of a tenant on `plan` is kept, in ms (the override, when set, for tests). */
export const retentionMs = (plan: string | undefined, settings: Pick<EngineSettings, 'retentionOverrideMs'>): number =>
  settings.retentionOverrideMs ?? planNamed(plan).retentionDays * DAY_MS;

/**
 * When the tenant's plan cannot be read (the tenant is gone, or its store unreachable while a
 * poison message is finished): as long as any plan keeps a message, so nothing goes early.
 */
export const longestRetentionMs = (settings: Pick<EngineSettings, 'retentionOverrideMs'>): number =>
  settings.retentionOverrideMs ?? Math.max(...Object.values(PLANS).map((plan) => plan.retentionDays)) * DAY_MS;

/**
 * The message with the expiry its status calls for: finished at `finishedAt`, it expires
 * `keepMs` later; in any other status it carries none.
 */
export const withRetention = (message: Message, finishedAt: number, keepMs: number): Message => {
  const { expiresAt: _previous, ...rest } = message;
  return isTerminal(message.status) ? { ...rest, expiresAt: finishedAt + keepMs } : rest;
};

/** Past its expiry at `now`: to be treated as gone, whether or not the store deleted it yet. */
export const isExpired = (message: Pick<Message, 'expiresAt'>, now: number): boolean =>
  message.expiresAt !== undefined && message.expiresAt <= now;
