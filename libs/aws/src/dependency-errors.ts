/**
 * Telling an AWS service's passing refusal from a fault of Vigil's own: the AWS SDK's own
 * classification (@smithy/core's retry module, the one its retry strategy decides by), so the
 * API names an outage as one.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * Whether an error is a service's or the network's passing refusal, after the SDK's own retries:
 * throttled (`ProvisionedThroughputExceededException`, a 429), a 5xx, a timeout, a reset or
 * refused connection, one this process had no file descriptor to open. Not a refusal of the request itself (`ValidationException`,
 * `AccessDeniedException`: Vigil's bugs) nor any error of Vigil's code.
 */
export const isDependencyUnavailable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (OUT_OF_DESCRIPTORS.has((error as NodeJS.ErrnoException).code ?? '')) return true;
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
};

/**
 * A connection to a service that could not be opened because this process (EMFILE) or the machine
 * (ENFILE) had no file descriptor left, as under a flood of connections: a passing shortage like a
 * refused connection, which the SDK does not retry. Answered 500 "Something went wrong" before.
 */
const OUT_OF_DESCRIPTORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE']);
