import { IDEMPOTENCY_KEY_MAX_LENGTH, MalformedRequestError, ValidationError } from '@vigil/core';

/**
 * What a key may hold: printable ASCII, as the IETF's Idempotency-Key header (an RFC 8941 String)
 * does. A header's bytes outside it are read as Latin-1 by Node (the local gateway) and who knows
 * how by a proxy on the way, so a key of other characters would be stored, compared and shown as
 * something else than was sent: a 130-character Cyrillic key was 260 Latin-1 characters, told it
 * "must be 1 to 255 characters", and echoed back garbled.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The optional `Idempotency-Key` header: 1 to IDEMPOTENCY_KEY_MAX_LENGTH printable ASCII characters, or absent. */
export const idempotencyKeyHeader = (headers: Record<string, string>): string | undefined => {
  const key = headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!PRINTABLE_ASCII.test(key)) {
    // Not repeated: its characters are not the ones that were sent.
    throw new MalformedRequestError(
      `The Idempotency-Key header holds a character outside printable ASCII (letters, digits, punctuation and space, U+0020 to U+007E), which cannot be read as it was sent: use 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, e.g. a UUID.`,
    );
  }
  if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH)
    throw ValidationError.single('Idempotency-Key', `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  return key;
};
