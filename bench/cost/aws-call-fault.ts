/**
 * A one-shot fault on the AWS calls the handlers make, for the grants test: error paths make calls
 * the happy path never does (a rollback's DeleteItem, a re-read after a write whose answer was lost,
 * a fallback when a ticket or a bucket's timer could not be made), and a grant missing for one of
 * them breaks it only on AWS, exactly when it matters. Armed with a predicate on the calls that
 * change something (DynamoDB's writes, SQS's sends, Scheduler's schedules), the next matching call
 * fails as the SDK would fail it after its retries on a server fault (`$fault: 'server'`, status 500:
 * DynamoDB's `InternalServerError`, SQS's `InternalFailure`, Scheduler's `InternalServerException`):
 * - `refused`: before it is sent (nothing written);
 * - `lost`: after it landed (written, its answer lost).
 *
 * A middleware of the build step, as the cost meter's: the SDK's retries (the finalizeRequest step)
 * sit inside it, so the fault reaches the caller as it is thrown, not retried away. Added after the
 * meter's, it runs inside it: the meter records the faulted call too (IAM authorises a call before
 * DynamoDB fails it). Calls are told apart by the function whose invocation makes them, as the
 * meter does (this observer's `invocation`, nested in the meter's).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { InstrumentableClient } from '@vigil/aws';
import type { AwsCall, MiddlewareClient } from './aws-call-meter';
import { bodyText, iamCallsOf, OUTSIDE_INVOCATIONS, requestItems } from './aws-call-meter';

/** How an armed fault fails its call: unsent, or applied with its answer lost. */
export type FaultKind = 'refused' | 'lost';

/** One call that changes something, as a fault's predicate sees it. */
export interface DynamoWrite {
  functionName: string;
  service: 'dynamodb' | 'sqs' | 'scheduler';
  /**
   * DynamoDB's `PutItem`, `UpdateItem`, `DeleteItem`, `BatchWriteItem`, `TransactWriteItems`; SQS's
   * `SendMessage`, `SendMessageBatch`; Scheduler's `CreateSchedule`, `DeleteSchedule`.
   */
  operation: string;
  /** The table, or the queue (its name); a schedule's group for Scheduler. */
  table: string;
  /** Each item's key it writes (`pk`, `sk`): one for a single write, each item's for a batch or transaction; none for SQS and Scheduler. */
  keys: Array<{ pk: string; sk: string }>;
}

/** A fault that fired: the call it failed, and the outcome of the invocation it failed (settled). */
export interface FiredFault {
  kind: FaultKind;
  write: DynamoWrite;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const SENDS = new Set(['SendMessage', 'SendMessageBatch']);
const SCHEDULES = new Set(['CreateSchedule', 'DeleteSchedule']);

/** The server fault each service's SDK throws after its retries (name, as its error code). */
const SERVER_FAULT: Record<DynamoWrite['service'], string> = {
  dynamodb: 'InternalServerError',
  sqs: 'InternalFailure',
  scheduler: 'InternalServerException',
};

/** The call a request is, if it is one a fault can fail. */
const faultableCall = (
  functionName: string,
  target: string,
  context: { commandName?: string; clientName?: string },
  input: Record<string, any>,
): DynamoWrite | undefined => {
  const operation = target.split('.')[1] ?? '';
  if (target.startsWith('DynamoDB_') && WRITES.has(operation)) {
    return {
      functionName,
      service: 'dynamodb',
      operation,
      table: tableOf(operation, input),
      keys: writtenKeys(operation, input),
    };
  }
  if (target.startsWith('AmazonSQS.') && SENDS.has(operation)) {
    const queue =
      String(input.QueueUrl ?? '')
        .split('/')
        .pop() ?? '';
    return { functionName, service: 'sqs', operation, table: queue, keys: [] };
  }
  const command = (context.commandName ?? '').replace(/Command$/, '');
  if (context.clientName === 'SchedulerClient' && SCHEDULES.has(command)) {
    return { functionName, service: 'scheduler', operation: command, table: '', keys: [] };
  }
  return undefined;
};

type RawItem = Record<string, AttributeValue>;
const keyOf = (item: RawItem | undefined): { pk: string; sk: string } => ({
  pk: String(item?.pk?.S ?? item?.pk?.N ?? ''),
  sk: String(item?.sk?.S ?? item?.sk?.N ?? ''),
});

/** The items a write request touches, by key (the meter's requestItems). */
const writtenKeys = (operation: string, input: Record<string, any>): DynamoWrite['keys'] =>
  requestItems(operation, input).map(({ item }) => keyOf(item));

/** The table a write request names (a batch's or transaction's first). */
const tableOf = (operation: string, input: Record<string, any>): string => {
  if (operation === 'BatchWriteItem') return Object.keys(input.RequestItems ?? {})[0] ?? '';
  if (operation === 'TransactWriteItems') {
    const request = Object.values((input.TransactItems?.[0] ?? {}) as Record<string, { TableName?: string }>)[0];
    return request?.TableName ?? '';
  }
  return String(input.TableName ?? '');
};

interface Armed {
  kind: FaultKind;
  matches: (write: DynamoWrite) => boolean;
  /** Matching writes still to let through before the one that fails. */
  skip: number;
  fired?: FiredFault;
  settled: (fired: FiredFault) => void;
}

export class AwsCallFaults {
  private readonly current = new AsyncLocalStorage<{ functionName: string; faulted?: Armed }>();
  private armed: Armed | undefined;
  /** The fault armed last, fired or not. */
  private last: Armed | undefined;
  private watching: DynamoWrite[] | undefined;
  /**
   * While set, a call it refuses fails unsent with AccessDeniedException, as IAM refuses a call the
   * role lacks on AWS (the local services allow everything): what an error path then leaves behind is
   * what it would leave on AWS.
   */
  refuses: ((call: AwsCall) => boolean) | undefined;

  /**
   * Fails the `nth` (1-based) call from now (a DynamoDB write, an SQS send, a schedule) that `matches`, once. Resolves when the
   * invocation it failed has ended (whatever it answered), with the call it failed.
   */
  arm(kind: FaultKind, matches: (write: DynamoWrite) => boolean, nth = 1): Promise<FiredFault> {
    if (this.armed) throw new Error('a fault is armed already');
    return new Promise((settled) => {
      this.armed = { kind, matches, skip: nth - 1, settled };
      this.last = this.armed;
    });
  }

  /** Whether the fault armed last has failed its call (its invocation may still be running). */
  hasFired(): boolean {
    return this.last?.fired !== undefined;
  }

  /** Takes back a fault that has not fired (a run that made fewer writes than counted). */
  disarm(): void {
    this.armed = undefined;
  }

  /** Every call a fault could fail made while `run` runs (by any function). */
  async writesOf<T>(run: () => Promise<T>): Promise<{ result: T; writes: DynamoWrite[] }> {
    const writes: DynamoWrite[] = [];
    this.watching = writes;
    try {
      return { result: await run(), writes };
    } finally {
      this.watching = undefined;
    }
  }

  /** The stack observer's invocation wrapper (inside the meter's): which function makes a call. */
  readonly invocation = async <T>(functionName: string, run: () => Promise<T>): Promise<T> => {
    const store: { functionName: string; faulted?: Armed } = { functionName };
    try {
      return await this.current.run(store, run);
    } finally {
      if (store.faulted?.fired) store.faulted.settled(store.faulted.fired);
    }
  };

  /** The stack observer's client instrument, added after the meter's. */
  readonly instrument = (client: InstrumentableClient): void => {
    (client as unknown as MiddlewareClient).middlewareStack.add(
      (next, context) => async (args) => {
        const target = args.request.headers['x-amz-target'] ?? '';
        const store = this.current.getStore();
        const functionName = store?.functionName ?? OUTSIDE_INVOCATIONS;
        const input = target === '' ? {} : (JSON.parse(bodyText(args.request.body)) as Record<string, any>);
        const denied = iamCallsOf(target, context, input).find((call) => this.refuses?.({ functionName, ...call }));
        if (denied) {
          const reason = `${functionName} is not authorized to perform ${denied.action} on ${denied.resource} (${denied.partitionKey ?? 'no key'})`;
          throw Object.assign(new Error(reason), {
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        const write = faultableCall(functionName, target, context, input);
        if (!write) return next(args);
        this.watching?.push(write);
        const armed = this.armed;
        if (!armed || !armed.matches(write)) return next(args);
        if (armed.skip > 0) {
          armed.skip -= 1;
          return next(args);
        }
        this.armed = undefined;
        armed.fired = { kind: armed.kind, write };
        // Settled when its invocation ends; at once for a call outside any.
        if (store) store.faulted = armed;
        else armed.settled(armed.fired);
        if (armed.kind === 'lost') await next(args);
        const message = `Internal server error (the grants test's ${armed.kind} fault on ${write.operation})`;
        if (write.service === 'dynamodb') {
          throw new InternalServerError({ message, $metadata: { httpStatusCode: 500 } });
        }
        throw Object.assign(new Error(message), {
          name: SERVER_FAULT[write.service],
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      },
      { step: 'build', name: 'vigilOneShotFault' },
    );
  };
}
