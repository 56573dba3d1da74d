import { describe, expect, it } from 'vitest';
import { newIdempotencyKey } from './idempotency-keys';

describe("the console's Idempotency-Keys", () => {
  it('are new for each action, named after it, and keys the API takes (1 to 255 printable ASCII)', () => {
    const keys = Array.from({ length: 100 }, () => newIdempotencyKey('redeliver'));
    expect(new Set(keys).size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^console-redeliver-[0-9a-f-]{36}$/);
    expect(newIdempotencyKey('bulk')).toMatch(/^[\x20-\x7e]{1,255}$/);
  });
});
