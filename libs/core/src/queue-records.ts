/**
 * One rule for the records a queue consumer receives (the delivery worker's tickets, the metering
 * function's usage events): each body is parsed as JSON and checked against the consumer's schema.
 * A record that fails is logged (its queue id and what is wrong, never its body) and reported as a
 * failure of its own, never thrown: the queue hands it back, and once the queue's receive limit is
 * reached it is parked in the dead-letter queue, where it can be read. The other records of the
 * batch are handled as usual.
 */
import type { z } from 'zod';
import type { Logger } from './ports';

/** What a queue record needs for this: SQS's `SQSRecord` has both. */
export interface QueueRecord {
  messageId: string;
  body: string;
}

export type ParsedRecord<T> = { ok: true; data: T } | { ok: false; failure: MalformedRecordError };

/** A record whose body is not JSON or does not match its schema. */
export class MalformedRecordError extends Error {
  override readonly name = 'MalformedRecordError';
  constructor(
    readonly recordId: string,
    readonly problem: string,
  ) {
    super(`malformed record ${recordId}: ${problem}`);
  }
}

/** Parses every record against `schema`, in order; the malformed ones are logged as `malformed <what>`. */
export const parseRecords = <S extends z.ZodType>(
  schema: S,
  records: readonly QueueRecord[],
  log: Logger,
  what: string,
): Array<ParsedRecord<z.output<S>>> =>
  records.map((record) => {
    const problem = problemOf(schema, record.body);
    if (typeof problem !== 'string') return { ok: true, data: problem.data };
    log.error(`malformed ${what}`, { queueMessageId: record.messageId, problem });
    return { ok: false, failure: new MalformedRecordError(record.messageId, problem) };
  });

const problemOf = <S extends z.ZodType>(schema: S, body: string): string | { data: z.output<S> } => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { data: parsed.data };
  return parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
};

/**
 * One settled result per record, in record order (what a partial-batch-failure response is built
 * from): each well-formed record handled on its own, concurrently; a malformed one rejected with
 * its failure, unhandled.
 */
export const settleEach = <T>(
  parsed: ReadonlyArray<ParsedRecord<T>>,
  handle: (data: T) => Promise<unknown>,
): Promise<Array<PromiseSettledResult<unknown>>> =>
  Promise.allSettled(parsed.map((p) => (p.ok ? handle(p.data) : Promise.reject(p.failure))));

/**
 * What a queue consumer logs of each record it reports as failed (middy's partial batch failure
 * `logger`, whose default writes the error and the whole record, body and receipt included, as
 * lines of text): one line with the record's queue id and the error, never its body. A malformed
 * record, logged when it was parsed, is not logged again.
 */
export const failedRecordLogger =
  (log: () => Logger, what: string) =>
  (reason: unknown, record: QueueRecord): void => {
    if (reason instanceof MalformedRecordError) return;
    log().warn(`${what} failed; the queue hands it back`, { queueMessageId: record.messageId, error: String(reason) });
  };
