/**
 * A stored message for tests that write messages to a store directly: every field a Message must
 * have, as the engine would have written them for a queued JSON webhook, so a test names only what
 * it is about.
 */
import { randomBytes } from 'node:crypto';
import type { Message } from '@vigil/core';
import { newMessageId } from '@vigil/core';

/**
 * `length` random printable ASCII characters (one UTF-8 byte each): gzip keeps about 83 % of them,
 * so a message store keeps such a body as text (libs/aws/src/stored-body.ts), at its full size.
 */
export const incompressibleText = (length: number): string =>
  Buffer.from(randomBytes(length).map((byte) => 32 + (byte % 95))).toString('latin1');

/** The instant a message made by `aMessage` is created and due at, unless `at` says otherwise. */
export const MESSAGE_T0 = Date.parse('2026-11-23T10:00:00.000Z');

/** A queued JSON webhook created and due at `at` (a fresh id of that time unless `over` names one), then `over`. */
export const aMessage = (over: Partial<Message> = {}, at: number = MESSAGE_T0): Message => ({
  id: newMessageId(at),
  tenantId: 'tnt_a',
  status: 'queued',
  url: 'https://example.com/hook',
  method: 'POST',
  headers: {},
  body: '{}',
  bodyKind: 'json',
  sendAt: at,
  dueAt: at,
  createdAt: at,
  updatedAt: at,
  maxAttempts: 8,
  timeoutMs: 10_000,
  metadata: {},
  attempts: [],
  roundStart: 0,
  version: 0,
  ...over,
});
