/**
 * The deployment's parameters (serverless v3 `params`): the defaults below hold for every stage,
 * and a deploy overrides any of them, e.g.
 *
 *   npx serverless deploy --stage prod --param="alarmEmail=ops@example.com"
 *
 * Templates read them as `${param:<name>}`, resolved by serverless before CloudFormation sees them.
 */

export const PARAM_DEFAULTS = {
  /**
   * The console's origin when it has a domain of its own (`https://console.example.com`, no
   * trailing slash; with webCertificateArn). Empty: the console's CloudFront distribution's own
   * domain. Either way it is the console's URL (output ConsoleUrl), the API's CORS origin and
   * Cognito's callback and logout URLs (consoleOrigin in infra/web.ts).
   */
  webOrigin: '',
  /** The ACM certificate for webOrigin's domain (in us-east-1, where CloudFront takes them); only with webOrigin. */
  webCertificateArn: '',
  /** p99 lateness (ms) above which the delivery and canary lateness alarms fire. */
  latenessAlarmMs: 1000,
  /** How often the canary sends its probes, in minutes (2 or more: EventBridge wants `rate(1 minute)` singular). */
  canaryEveryMinutes: 5,
  /**
   * Deliver's environments kept initialized (Lambda provisioned concurrency on its `provisioned`
   * alias, which the delivery queue invokes): a lone ticket meets one that is warm instead of a cold
   * start that can outlast the arm lead. 0 for none (a development stage).
   */
  deliverWarmEnvironments: 1,
  /**
   * The most deliver invocations each of its two queues' event sources runs at once (Lambda's
   * maximumConcurrency: 2 to 1,000). Unbounded, a surge of deliveries could take all of the
   * account's concurrent executions (1,000 by default, shared by every function) and leave the API
   * and its authorizer throttled. Two of these, metering's and the bulk jobs' bounds
   * (infra/functions.ts) add up to 670, leaving 330 for the API, the authorizer and the functions
   * nothing bounds (queue-concurrency.test.ts). A deliver invocation holds its batch of up to ten
   * tickets about 2 s, so 300 carry about 1,400 deliveries a second a queue: a bigger surge waits in
   * its queue, late rather than refused (docs/CAPACITY.md). Raise it with the account's limit.
   */
  deliverMaxConcurrency: 300,
  /** Where alarm notifications are e-mailed; empty for none (subscribe to the AlarmTopic yourself). */
  alarmEmail: '',
  /**
   * Keys a tenant's messages, listing entries and usage levels spread over (VIGIL_TENANT_SHARDS,
   * libs/aws tenant-partitions.ts): 128 lets one tenant create 10,000 messages a second before a
   * key throttles (docs/CAPACITY.md); a listing reads that many keys a status. Set once, before the
   * stage's table holds messages: messages written under one count are not found under another, so
   * a stage deployed before 2026-12-06 (one key a tenant) keeps `tenantShards=1`. A deploy with
   * other counts than its table was written with fails in its layout check (table-layout-check.ts).
   */
  tenantShards: 128,
  /**
   * Shards of the pending and bucket indexes (VIGIL_INDEX_SHARDS, at most 64): 32 carry the
   * 10,000 messages a second docs/CAPACITY.md models (8 throttle at 4,000). Set once, like
   * `tenantShards`: a stage deployed before 2026-12-06 keeps `indexShards=8`.
   */
  indexShards: 32,
} as const;

export type ParamName = keyof typeof PARAM_DEFAULTS;

/** `${param:<name>}`: the value of a parameter, resolved by serverless. */
export const param = (name: ParamName): string => `\${param:${name}}`;
