import { ValidationError } from '@vigil/core';

/** The optional `Idempotency-Key` header: 1 to 255 characters, or absent. */
export const idempotencyKeyHeader = (headers: Record<string, string>): string | undefined => {
  const key = headers['idempotency-key'];
  if (key !== undefined && (key.length < 1 || key.length > 255)) {
    throw ValidationError.single('Idempotency-Key', 'must be 1 to 255 characters');
  }
  return key;
};
