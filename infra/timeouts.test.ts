import { IDEMPOTENCY_LEASE_MS } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { API_TIMEOUT_S } from './functions';

describe("the API functions' timeout", () => {
  it('ends a request before its Idempotency-Key lease does, so a retry never takes over a request still running', () => {
    // A margin for the function's own start and API Gateway's hop.
    expect(API_TIMEOUT_S * 1000 + 2_000).toBeLessThanOrEqual(IDEMPOTENCY_LEASE_MS);
  });
});
