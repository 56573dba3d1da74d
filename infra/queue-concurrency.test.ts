/**
 * The SQS event sources' concurrency bounds (maximumConcurrency), read from the functions'
 * description with the parameters at their defaults: every queue's consumer is bounded, and the
 * bounds together leave the API and its authorizer room in the account's default concurrency.
 */
import { describe, expect, it } from 'vitest';
import type { SqsEvent } from './functions';
import { FUNCTIONS } from './functions';
import type { ParamName } from './params';
import { PARAM_DEFAULTS } from './params';

/** Lambda's default concurrent executions per account and Region (bench/capacity/aws-quotas.ts). */
const ACCOUNT_CONCURRENCY = 1_000;
/**
 * What the API and its authorizer take at most under API Gateway's default 10,000 requests a second
 * (createMessage 182–236 concurrent, measured with local durations, an upper bound: docs/CAPACITY.md
 * §2), with the functions no queue drives (promote, sweep, canary, the console's server) beside them.
 */
const API_ROOM = 300;
/** AWS's range for an SQS event source's maximumConcurrency (AWS::Lambda::EventSourceMapping ScalingConfig). */
const MIN_BOUND = 2;
const MAX_BOUND = 1_000;

/** A bound as deployed with the default parameters: a number, or a `${param:<name>}` resolved. */
const resolved = (bound: number | string): number => {
  if (typeof bound === 'number') return bound;
  const name = /^\$\{param:(\w+)\}$/.exec(bound)?.[1] as ParamName | undefined;
  if (name === undefined || !(name in PARAM_DEFAULTS)) throw new Error(`not a parameter: ${bound}`);
  return Number(PARAM_DEFAULTS[name]);
};

const sqsSources = FUNCTIONS.flatMap((fn) =>
  (fn.definition.events ?? [])
    .filter((event): event is SqsEvent => 'sqs' in event)
    .map((event) => ({ functionKey: fn.key, bound: event.sqs.maximumConcurrency })),
);

describe('SQS event sources', () => {
  describe('concurrency', () => {
    it('bounds every queue consumer within the range AWS takes', () => {
      expect(sqsSources.map((s) => s.functionKey).sort()).toEqual(['bulkJobs', 'deliver', 'deliver', 'metering']);
      for (const { functionKey, bound } of sqsSources) {
        expect(Number.isInteger(resolved(bound)), functionKey).toBe(true);
        expect(resolved(bound), functionKey).toBeGreaterThanOrEqual(MIN_BOUND);
        expect(resolved(bound), functionKey).toBeLessThanOrEqual(MAX_BOUND);
      }
    });

    it("leaves the API and its authorizer room in the account's default concurrency, all queues surging at once", () => {
      const bounded = sqsSources.reduce((sum, { bound }) => sum + resolved(bound), 0);
      expect(bounded + API_ROOM).toBeLessThanOrEqual(ACCOUNT_CONCURRENCY);
    });

    it("bounds deliver's two queues by the deliverMaxConcurrency parameter, so a stage can raise it with its account", () => {
      const deliver = sqsSources.filter((s) => s.functionKey === 'deliver');
      expect(deliver.map((s) => s.bound)).toEqual(['${param:deliverMaxConcurrency}', '${param:deliverMaxConcurrency}']);
    });
  });
});
