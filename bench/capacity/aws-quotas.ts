/**
 * The AWS limits the capacity model measures load against: per-partition hard limits and the
 * default (adjustable) account and resource quotas of us-east-1, with the page each was read from
 * on 2026-12-02 (stored copies: no live page could be reached from the project's machines). The
 * defaults vary by Region and change: check the Service Quotas console of the account before a
 * customer's day, and raise what the model says will be hit.
 */
export const QUOTAS_AS_OF = '2026-12-02';

export const AWS_QUOTAS = {
  /**
   * "Best practices for designing and using partition keys" / "DynamoDB warm throughput": each
   * partition, of a table or of a global secondary index, serves at most 1,000 write units and
   * 3,000 read units a second. Not adjustable. A throttled index write throttles the base-table
   * write that caused it.
   */
  dynamoPartitionWriteUnitsPerSecond: 1_000,
  dynamoPartitionReadUnitsPerSecond: 3_000,
  /** "Service, account, and table quotas in Amazon DynamoDB": on-demand, per table (and per index), adjustable. */
  dynamoTableWriteUnitsPerSecond: 40_000,
  dynamoTableReadUnitsPerSecond: 40_000,
  /** "DynamoDB warm throughput": what a new on-demand table serves at once (it grows after, or pre-warm it). */
  dynamoNewTableWarmWriteUnitsPerSecond: 4_000,
  dynamoNewTableWarmReadUnitsPerSecond: 12_000,
  /** "Amazon SQS quotas": in-flight (received, not yet deleted) messages per standard queue. Not adjustable. */
  sqsInFlightPerStandardQueue: 120_000,
  /** "Lambda quotas": concurrent executions per account and Region, adjustable (to tens of thousands). */
  lambdaConcurrentExecutions: 1_000,
  /** "Lambda scaling behavior": each function adds at most 1,000 concurrent executions every 10 s. */
  lambdaScalingPerTenSeconds: 1_000,
  /**
   * "Configuring scaling behavior for SQS event source mappings", standard (not provisioned) mode:
   * five concurrent batches when messages appear, up to 300 more a minute, at most 1,000 at once.
   * Provisioned mode (minimum and maximum event pollers) scales three times faster and further.
   */
  sqsMappingStartBatches: 5,
  sqsMappingScalePerMinute: 300,
  sqsMappingMaxConcurrentBatches: 1_000,
  /** "Amazon API Gateway quotas": REST requests per second per account and Region (burst 5,000), adjustable. */
  apiGatewayRequestsPerSecond: 10_000,
  apiGatewayBurst: 5_000,
  /**
   * "Quotas for Amazon EventBridge Scheduler": CreateSchedule requests per second (1,000 in the
   * older copy of the page, 5,000 in the newer: the lower is taken) and invocations per second
   * (throttle limit 1,000), both adjustable.
   */
  schedulerCreateSchedulePerSecond: 1_000,
  schedulerInvocationsPerSecond: 1_000,
} satisfies Record<string, number>;

/** The limits by name, with the defaults above or raised ones (a what-if). */
export type AwsQuotas = { readonly [Name in keyof typeof AWS_QUOTAS]: number };

/** How each limit the model may ask to raise is raised (printed beside the figure). */
export const HOW_TO_RAISE: Partial<Record<keyof typeof AWS_QUOTAS, string>> = {
  dynamoTableWriteUnitsPerSecond: 'Service Quotas, and pre-warm the table (warm throughput) before the day',
  dynamoTableReadUnitsPerSecond: 'Service Quotas, and pre-warm the table (warm throughput) before the day',
  lambdaConcurrentExecutions: 'Service Quotas',
  sqsMappingMaxConcurrentBatches:
    'not a quota: the deliver mapping in provisioned mode (maximum pollers), or more delivery queues of 1,000 batches each',
  apiGatewayRequestsPerSecond: 'Service Quotas (or the customer sends batches)',
  schedulerCreateSchedulePerSecond: 'Service Quotas',
  schedulerInvocationsPerSecond: 'Service Quotas',
};
