import { retryMessageNowIdempotently } from '@vigil/core';
import { keyedMessageCommandRoute } from './keyed-message-command-route';

/** Makes a retrying message's next attempt now (202), or answers the one its Idempotency-Key made (200). */
export const handler = keyedMessageCommandRoute(retryMessageNowIdempotently);
