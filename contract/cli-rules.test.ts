/**
 * The rules of the API that the CLI keeps a copy of, since the client package imports nothing of the
 * server at run time: each copy must say what the server's rule says, or the CLI would ask for what
 * the API then refuses.
 */
import { BULK_ACTION_STATUSES, BULK_ACTIONS } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { ACTION_STATUSES } from '../libs/client/src/cli/jobs';

describe("the CLI's copies of the API's rules", () => {
  it.each(BULK_ACTIONS)(
    'give vigil %s without --status the statuses the API applies that bulk action to (allowedCommands)',
    (action) => {
      expect(ACTION_STATUSES[action]).toEqual(BULK_ACTION_STATUSES[action]);
    },
  );
});
