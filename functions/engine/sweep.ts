/**
 * The safety net, every minute on AWS: re-enqueue pending messages that are clearly overdue.
 * `{ lookAheadS }` widens the look to everything due soon (the local stack does this at start-up,
 * because its queue does not survive a restart).
 */
import { runtime } from '@vigil/aws';
import { parseOrThrow, sweepPending } from '@vigil/core';
import { z } from 'zod';

const SweepInput = z.object({ lookAheadS: z.number().min(0).max(900).optional() }).loose();

export const handler = async (event: unknown): Promise<{ requeued: number }> => {
  const { lookAheadS } = parseOrThrow(SweepInput, event ?? {});
  const { scheduling, config } = runtime();
  const horizonMs = lookAheadS === undefined ? -config.engine.sweepGraceMs : lookAheadS * 1000;
  // A look ahead is the local stack's start-up: its queue did not survive, so no ticket is in flight.
  return sweepPending(scheduling, horizonMs, { queueLost: lookAheadS !== undefined });
};
