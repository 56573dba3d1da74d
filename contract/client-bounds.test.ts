/**
 * Bounds the client keeps on what a server answers, which the Vigil API itself must stay within:
 * the client imports nothing of the server, so each is checked here against the API's own rules.
 */
import { LIST_SCAN_BUDGET, MAX_DELAY_S, MAX_NOTIFICATION_ENDPOINTS, MESSAGE_STATUSES, PLANS } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../libs/client/src/follow-pages';

describe("the client's bounds on the API's answers", () => {
  it('let messages.list() follow more empty pages in a row than the API answers over its largest tenant', () => {
    // Prepare: the most a tenant can hold: its plan's messages over the year they may wait and the month a finished one is kept, each round with a callback and an event to each endpoint.
    const largest = Math.max(
      ...Object.values(PLANS).map((plan) => plan.monthlyMessages * ((MAX_DELAY_S / 86_400 + plan.retentionDays) / 30)),
    );
    const stored = largest * (1 + 1 + MAX_NOTIFICATION_ENDPOINTS);
    // A page that answers nothing read LIST_SCAN_BUDGET stored messages, shared by the statuses a filter lists (delivering is listed among the waiting ones).
    const listedStatuses = MESSAGE_STATUSES.filter((status) => status !== 'delivering').length;

    // Act
    const emptyPagesInARow = stored / Math.floor(LIST_SCAN_BUDGET / listedStatuses);

    // Assess
    expect(MAX_EMPTY_PAGES_IN_A_ROW).toBeGreaterThan(emptyPagesInARow);
  });
});
