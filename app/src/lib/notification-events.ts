import type { NotificationEventType } from './types';

/** The events a notification endpoint can take, in plain words (shared by the server card and the client form). */
export const NOTIFICATION_EVENTS: ReadonlyArray<{ type: NotificationEventType; label: string }> = [
  { type: 'message.failed', label: 'A message failed' },
  { type: 'key.created', label: 'An API key was created' },
  { type: 'key.revoked', label: 'An API key was revoked' },
];

export const notificationEventLabel = (type: string): string =>
  NOTIFICATION_EVENTS.find((e) => e.type === type)?.label ?? type;
