import { SEND_TIMEOUT_MS } from '@vigil/aws/sqs-usage-meter';
import {
  DEFAULT_ENGINE_SETTINGS,
  FLOW_HOLD_PER_TAKE_MS,
  IDEMPOTENCY_LEASE_MS,
  MESSAGE_TIMEOUT_MAX_MS,
  TAKE_RETRY_PAST_DUE_MS,
} from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { API_TIMEOUT_S, DELIVER_TIMEOUT_S } from './functions';

describe("the API functions' timeout", () => {
  it('ends a request before its Idempotency-Key lease does, so a retry never takes over a request still running', () => {
    // A margin for the function's own start and API Gateway's hop.
    expect(API_TIMEOUT_S * 1000 + 2_000).toBeLessThanOrEqual(IDEMPOTENCY_LEASE_MS);
  });
});

describe("the deliver function's timeout", () => {
  it('outlasts the longest a ticket may be held, sent and recorded, so Lambda never ends a send before its record', () => {
    /** One store request that takes its whole timeout (libs/aws/src/wiring/base.ts: requestTimeout). */
    const slowStoreAnswerMs = 10_000;
    const { armHorizonMs, leaseMarginMs } = DEFAULT_ENGINE_SETTINGS;
    const recordMs =
      1_000 + // the record's wait for other sends to finish (RECORD_DEFER_MAX_MS)
      SEND_TIMEOUT_MS + // the usage events' send
      slowStoreAnswerMs + // the round's event deliveries stored
      // The record's tries: none starts after the take's lease ends (the send window, then the
      // margin), and the last may take a slow answer.
      leaseMarginMs +
      slowStoreAnswerMs;
    // The take: held from the arm horizon before due, its last try started at most
    // TAKE_RETRY_PAST_DUE_MS after due (a take the store failed is tried again) and slow to answer.
    const takeMs = armHorizonMs + TAKE_RETRY_PAST_DUE_MS + slowStoreAnswerMs;
    const longestTicketMs = takeMs + FLOW_HOLD_PER_TAKE_MS + MESSAGE_TIMEOUT_MAX_MS + recordMs;
    expect(longestTicketMs).toBeLessThanOrEqual(DELIVER_TIMEOUT_S * 1000);
  });
});
