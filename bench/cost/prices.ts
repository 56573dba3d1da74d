/**
 * AWS list prices the cost bench multiplies by: us-east-1 (N. Virginia), on demand, in US dollars,
 * without free tiers (a SaaS at scale is past them) and at each service's first paid tier.
 *
 * Read on 2026-12-02 from the pricing pages named beside each price (stored copies of the public
 * pages and of articles quoting them; no live page could be reached from the project's machines).
 * Check them again before you quote a figure to a customer.
 */
export const PRICES_AS_OF = '2026-12-02';

export const PRICES = {
  /** "Amazon DynamoDB pricing — on-demand": per million write request units (since 2024-11-01). */
  dynamoWriteRequestUnitPerMillion: 0.625,
  /** Same page: per million read request units. */
  dynamoReadRequestUnitPerMillion: 0.125,
  /**
   * "Amazon DynamoDB pricing — provisioned capacity": per write capacity unit-hour (one 1 KB write a
   * second for an hour). Not how the stack deploys its table (on demand): the cost bench prices the
   * what-if of a steady business that provisions it (PROVISIONED_UTILIZATION).
   */
  dynamoProvisionedWriteUnitHour: 0.00065,
  /** Same page: per read capacity unit-hour (one strongly consistent 4 KB read a second). */
  dynamoProvisionedReadUnitHour: 0.00013,
  /** Same page: storage, Standard table class, per GB-month (after the first 25 GB). */
  dynamoStoragePerGbMonth: 0.25,
  /** "Amazon SQS pricing": standard queue, per million requests (each 64 KB chunk is a request). */
  sqsRequestPerMillion: 0.4,
  /** "AWS Lambda pricing": per million requests. */
  lambdaRequestPerMillion: 0.2,
  /** Same page: duration, Arm (the deployment's architecture), per GB-second, first tier. */
  lambdaArmGbSecond: 0.0000133334,
  /** "Amazon API Gateway pricing": REST APIs, per million requests (first 333 million a month). */
  apiGatewayRestPerMillion: 3.5,
  /** "Amazon EventBridge pricing", Scheduler: per million invocations; its API calls are not billed. */
  schedulerInvocationPerMillion: 1.0,
} as const;

/**
 * How much of provisioned capacity a steady business uses: DynamoDB auto scaling's default target
 * (70 %); the rest is headroom it pays for.
 */
export const PROVISIONED_UTILIZATION = 0.7;
