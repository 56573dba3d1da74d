/**
 * The settings of the queues a function consumes (the delivery tickets, the usage events), as
 * plain numbers: infra/queues.ts deploys them, and the local stack creates its queues with the
 * same, so a failed record comes back and is parked in the dead-letter queue alike in both.
 */
// By path, not by the @vigil/core alias: infra/ imports this file, and serverless loads infra/ without the aliases.
import { DEFAULT_ENGINE_SETTINGS } from '../../core/src/settings';

/**
 * The deliver function's timeout on AWS. One ticket's work in an invocation can take up to the arm
 * horizon before its due instant (5 s) and its take (tried again up to 2 s past due, the last try
 * slow to answer: 10 s), a flow-control hold (15 s), the request (30 s at most), and then its
 * record (the quiet wait, the meter's send, the round's event deliveries and the save: about 40 s
 * when a store answer is slow): infra/timeouts.test.ts adds it up. An invocation ended after a send
 * and before its record has the message sent again, so the timeout covers all of it (Lambda bills
 * what runs, not the timeout).
 */
export const DELIVER_TIMEOUT_S = 105;
/** The metering function's timeout on AWS. */
export const METERING_TIMEOUT_S = 30;
/** The bulk job worker's timeout on AWS: one step (a page of 100 messages) takes seconds. */
export const JOB_TIMEOUT_S = 60;
/**
 * How long a running bulk job may save nothing before the sweep queues its step again: longer than
 * a step may run (the worker's timeout), so its step is lost or waits out the job queue's
 * visibility timeout (6 minutes) after a throw.
 */
export const JOB_IDLE_MS = (JOB_TIMEOUT_S + 15) * 1000;
/** Receives before a record is parked in the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export interface ConsumedQueueSettings {
  /** How long a received record stays hidden before it comes back (SQS VisibilityTimeout). */
  visibilityTimeoutS: number;
  /** Receives before it is parked in the dead-letter queue (the redrive policy's maxReceiveCount). */
  maxReceiveCount: number;
}

/**
 * How long the delivery queue's event source gathers tickets into a batch: the gather window
 * (VIGIL_GATHER_WINDOW_MS's default, libs/core/src/settings.ts).
 */
export const DELIVERY_BATCHING_WINDOW_S = DEFAULT_ENGINE_SETTINGS.gatherWindowMs / 1000;
/** How long the metering queue's event source gathers usage events: the more, the fewer counter writes. */
export const METERING_BATCHING_WINDOW_S = 5;

/**
 * AWS's advice for a Lambda event source: a visibility of at least six times the function's
 * timeout, plus the event source's batching window.
 */
export const consumedQueueSettings = (consumerTimeoutS: number, batchingWindowS = 0): ConsumedQueueSettings => ({
  visibilityTimeoutS: 6 * consumerTimeoutS + batchingWindowS,
  maxReceiveCount: MAX_RECEIVE_COUNT,
});

export const DELIVERY_QUEUE_SETTINGS = consumedQueueSettings(DELIVER_TIMEOUT_S, DELIVERY_BATCHING_WINDOW_S);

/** The job queue's settings: bulk job steps, read by the job worker. */
export const JOB_QUEUE_SETTINGS = consumedQueueSettings(JOB_TIMEOUT_S);

/** The metering queue's settings (the local stack creates it only when asked to meter through a queue). */
export const METERING_QUEUE_SETTINGS = consumedQueueSettings(METERING_TIMEOUT_S, METERING_BATCHING_WINDOW_S);
