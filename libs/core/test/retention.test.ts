import { describe, expect, it } from 'vitest';
import type { Message, MessageIn } from '../src';
import {
  cancelMessage,
  DAY_MS,
  DEFAULT_ENGINE_SETTINGS,
  getMessage,
  isExpired,
  listMessages,
  longestRetentionMs,
  MessageIn as MessageInSchema,
  MessageNotFoundError,
  PLANS,
  redeliverMessage,
  retentionMs,
  scheduleMessage,
  TenantNotFoundError,
  toMessageOut,
  withRetention,
} from '../src';
import { deliveryHarness } from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const setup = (options: Omit<Parameters<typeof deliveryHarness>[0], 't0' | 'secret'> = {}) =>
  deliveryHarness({ t0: T0, secret: SECRET, ...options });

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

describe('retention rules', () => {
  it('keeps a finished message 7 days on the free plan and 30 on pro; an unknown plan gets the free days', () => {
    expect(PLANS.free.retentionDays).toBe(7);
    expect(PLANS.pro.retentionDays).toBe(30);
    expect(retentionMs('free', DEFAULT_ENGINE_SETTINGS)).toBe(7 * DAY_MS);
    expect(retentionMs('pro', DEFAULT_ENGINE_SETTINGS)).toBe(30 * DAY_MS);
    expect(retentionMs('', DEFAULT_ENGINE_SETTINGS)).toBe(7 * DAY_MS);
    expect(retentionMs('toString', DEFAULT_ENGINE_SETTINGS)).toBe(7 * DAY_MS);
    expect(longestRetentionMs(DEFAULT_ENGINE_SETTINGS)).toBe(30 * DAY_MS);
  });

  it('lets a test override the retention of every plan (VIGIL_RETENTION_OVERRIDE_S)', () => {
    const settings = { ...DEFAULT_ENGINE_SETTINGS, retentionOverrideMs: 2_000 };
    expect(retentionMs('pro', settings)).toBe(2_000);
    expect(longestRetentionMs(settings)).toBe(2_000);
  });

  it('gives an expiry to final states only, and takes it from a message waiting again', () => {
    const base = { status: 'delivered', expiresAt: undefined } as unknown as Message;
    for (const status of ['delivered', 'failed', 'cancelled'] as const) {
      expect(withRetention({ ...base, status }, T0, DAY_MS).expiresAt).toBe(T0 + DAY_MS);
    }
    for (const status of ['scheduled', 'queued', 'delivering', 'retrying'] as const) {
      expect(withRetention({ ...base, status, expiresAt: T0 }, T0, DAY_MS)).not.toHaveProperty('expiresAt');
    }
  });

  it('counts a message as expired from its expiry instant on, and one without an expiry never', () => {
    expect(isExpired({ expiresAt: T0 }, T0 - 1)).toBe(false);
    expect(isExpired({ expiresAt: T0 }, T0)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('a message reaching a final state expires after its plan’s retention', () => {
  it('a delivered message expires 7 days after delivery on free, and the API shows when', async () => {
    const { deps, store, clock, deliverLatest, tenantReads } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(message).not.toHaveProperty('expiresAt'); // waiting: never expires
    const writesBefore = store.calls;

    expect(await deliverLatest()).toBe('delivered');

    const stored = store.messages.get(message.id)!;
    const recordedAt = clock.now();
    expect(stored.expiresAt).toBe(recordedAt + 7 * DAY_MS);
    expect(toMessageOut(stored, { withBody: false }).expiresAt).toBe(new Date(recordedAt + 7 * DAY_MS).toISOString());
    // Retention costs the delivery path nothing: take + record, and the one tenant read it made anyway.
    expect(store.calls - writesBefore).toBe(2);
    expect(tenantReads()).toBe(1);
  });

  it('a pro tenant’s delivered message is kept 30 days', async () => {
    const { deps, store, clock, deliverLatest } = setup({ plan: 'pro' });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    await deliverLatest();
    expect(store.messages.get(message.id)!.expiresAt).toBe(clock.now() + 30 * DAY_MS);
  });

  it('a retrying message never expires; the failed one it becomes does', async () => {
    const { deps, store, clock, deliverLatest } = setup({ script: [{ statusCode: 500 }] });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, retry: { maxAttempts: 2 } }));
    expect(await deliverLatest()).toBe('retrying');
    expect(store.messages.get(message.id)).not.toHaveProperty('expiresAt');
    expect(await deliverLatest()).toBe('failed');
    expect(store.messages.get(message.id)!.expiresAt).toBe(clock.now() + 7 * DAY_MS);
  });

  it('a message finished failed without sending (signing failed) expires after its plan’s retention', async () => {
    const { deps, store, clock, deliverLatest } = setup({
      tenants: { forDelivery: async () => ({ signingSecrets: ['not-a-webhook-secret'], plan: 'pro' }) },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('failed');
    expect(store.messages.get(message.id)).toMatchObject({
      failureReason: { code: 'signing-failed' },
      expiresAt: clock.now() + 30 * DAY_MS,
    });
  });

  it('a message whose tenant is gone is kept as long as any plan keeps one (its plan is unknown)', async () => {
    const { deps, store, clock, deliverLatest } = setup({
      tenants: { forDelivery: async (tenantId) => Promise.reject(new TenantNotFoundError(tenantId)) },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('failed');
    expect(store.messages.get(message.id)!.expiresAt).toBe(clock.now() + 30 * DAY_MS);
  });

  it('a cancelled message expires after the caller’s plan’s retention, counted from the cancel', async () => {
    const { deps, clock } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 600 }));
    clock.advance(5_000);
    const cancelled = await cancelMessage(deps, TENANT, message.id, 'pro');
    expect(cancelled.expiresAt).toBe(T0 + 5_000 + 30 * DAY_MS);
    // Cancelling again changes nothing, the expiry included.
    clock.advance(5_000);
    expect((await cancelMessage(deps, TENANT, message.id, 'pro')).expiresAt).toBe(cancelled.expiresAt);
  });
});

describe('an expired message is gone', () => {
  it('reads as 404 and is left out of listings from its expiry on, before any store deletes it', async () => {
    const { deps, store, clock, deliverLatest } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    const { message: waiting } = await scheduleMessage(deps, TENANT, input({ delay: 3_600 }));
    await deliverLatest();
    const expiresAt = store.messages.get(message.id)!.expiresAt!;

    clock.set(expiresAt - 1);
    expect((await getMessage(store, TENANT, message.id)).id).toBe(message.id);

    clock.set(expiresAt);
    await expect(getMessage(store, TENANT, message.id)).rejects.toThrow(MessageNotFoundError);
    const listed = await listMessages(store, TENANT, { limit: 10 });
    expect(listed.items.map((m) => m.id)).toEqual([waiting.id]); // a pending message never expires
    expect(store.messages.has(message.id)).toBe(true); // still stored: deleting it is the store's business
  });

  it('a redeliver before the expiry clears it; after the expiry it is a 404', async () => {
    const { deps, store, clock, deliverLatest } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    await deliverLatest();
    const expiresAt = store.messages.get(message.id)!.expiresAt!;

    clock.set(expiresAt - 1_000);
    const again = await redeliverMessage(deps, TENANT, message.id);
    expect(again).not.toHaveProperty('expiresAt');
    expect(store.messages.get(message.id)).not.toHaveProperty('expiresAt');
    clock.set(expiresAt + 1);
    expect(await deliverLatest()).toBe('delivered'); // still there past the old expiry, delivered again
    const renewed = store.messages.get(message.id)!.expiresAt!;
    expect(renewed).toBe(clock.now() + 7 * DAY_MS);

    clock.set(renewed);
    await expect(redeliverMessage(deps, TENANT, message.id)).rejects.toThrow(MessageNotFoundError);
  });
});
