import { redeliverMessageIdempotently } from '@vigil/core';
import { keyedMessageCommandRoute } from './keyed-message-command-route';

/** Starts a new round of a finished message (202), or answers the one its Idempotency-Key started (200). */
export const handler = keyedMessageCommandRoute(redeliverMessageIdempotently);
