/**
 * The rules of the API that the CLI keeps a copy of, since the client package imports nothing of the
 * server at run time: each copy must say what the server's rule says, or the CLI would ask for what
 * the API then refuses.
 */
import {
  BULK_ACTION_STATUSES,
  BULK_ACTIONS,
  DEFAULT_MAX_ATTEMPTS,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  MAX_ATTEMPTS_LIMIT,
  MAX_PAGE_LIMIT,
} from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { ACTION_STATUSES } from '../libs/client/src/cli/jobs';
import * as cli from '../libs/client/src/cli/messages';

describe("the CLI's copies of the API's rules", () => {
  it.each(BULK_ACTIONS)(
    'give vigil %s without --status the statuses the API applies that bulk action to (allowedCommands)',
    (action) => {
      expect(ACTION_STATUSES[action]).toEqual(BULK_ACTION_STATUSES[action]);
    },
  );

  it("take --retries up to the API's most attempts less the first, and tell its default as the API's", () => {
    expect(cli.MAX_RETRIES).toBe(MAX_ATTEMPTS_LIMIT - 1);
    expect(cli.DEFAULT_RETRIES).toBe(DEFAULT_MAX_ATTEMPTS - 1);
  });

  it("ask for pages of at most the API's limit, and take an Idempotency-Key as long as the API does", () => {
    expect(cli.PAGE_MAX).toBe(MAX_PAGE_LIMIT);
    expect(cli.IDEMPOTENCY_KEY_MAX_LENGTH).toBe(IDEMPOTENCY_KEY_MAX_LENGTH);
  });
});
