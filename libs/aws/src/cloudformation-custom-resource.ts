/**
 * A CloudFormation custom resource's provider, as a Lambda function. CloudFormation sends it a
 * request (Create, Update, Delete) and waits for the answer PUT to the request's pre-signed
 * ResponseURL, up to an hour when none comes: so every path answers, with the work's outcome, its
 * error's message, or a time-out of its own before the function's.
 *
 * Create and Update run the work on the resource's properties; Delete answers at once (what the work
 * checks or records outlives the resource: the table it describes is the stack's).
 */
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import type { Logger } from '@vigil/core';

/** The work's properties: what the template wrote, every value as a string (CloudFormation sends strings). */
export type ResourceProperties = Readonly<Record<string, unknown>>;

/** How long before the function's own time-out the provider answers FAILED if the work has not ended. */
export const ANSWER_MARGIN_MS = 3_000;
/** CloudFormation keeps a reason of at most this many characters (a response is at most 4 KB). */
const MAX_REASON_CHARS = 1_000;
const ANSWER_ATTEMPTS = 3;
const ANSWER_TIMEOUT_MS = 5_000;

class WorkTimedOut extends Error {
  constructor(ms: number) {
    super(`did not end in time (${(ms / 1000).toFixed(1)} s before the function's own time-out)`);
  }
}

/** Runs `work` within `ms`, or rejects with WorkTimedOut. */
const within = async (ms: number, work: Promise<void>): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WorkTimedOut(ms)), Math.max(0, ms));
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** PUTs the answer to CloudFormation's pre-signed URL, a few times if the network fails. */
const sendAnswer = async (url: string, answer: CloudFormationCustomResourceResponse): Promise<void> => {
  const body = JSON.stringify(answer);
  for (let attempt = 1; ; attempt += 1) {
    try {
      // The URL is signed without a content type: send none (as AWS's own cfn-response does).
      const response = await fetch(url, {
        method: 'PUT',
        body,
        headers: { 'content-type': '' },
        signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
      });
      if (response.ok) return;
      throw new Error(`CloudFormation's response URL answered ${response.status}`);
    } catch (error) {
      if (attempt >= ANSWER_ATTEMPTS) throw error;
    }
  }
};

/**
 * Answers one custom resource request: SUCCESS once `work` resolves (Delete: at once), FAILED with
 * the message of what it threw, or FAILED when it runs into the function's time-out. The resource's
 * physical id is its logical id, the same from Create on, so an Update never replaces it.
 */
export const answerCustomResource = async (
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  log: Logger,
  work: (properties: ResourceProperties) => Promise<void>,
): Promise<void> => {
  const physicalResourceId = event.RequestType === 'Create' ? event.LogicalResourceId : event.PhysicalResourceId;
  let failure: string | undefined;
  if (event.RequestType !== 'Delete') {
    try {
      await within(context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS, work(event.ResourceProperties));
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
  }
  const answered = { request: event.RequestType, resource: event.LogicalResourceId, failure };
  if (failure === undefined) log.info('custom resource: done', answered);
  else log.warn('custom resource: failed', answered);
  const request = {
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  await sendAnswer(
    event.ResponseURL,
    failure === undefined
      ? { ...request, Status: 'SUCCESS' }
      : { ...request, Status: 'FAILED', Reason: failure.slice(0, MAX_REASON_CHARS) },
  );
};
