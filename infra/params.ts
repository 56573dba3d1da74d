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
  /** Where alarm notifications are e-mailed; empty for none (subscribe to the AlarmTopic yourself). */
  alarmEmail: '',
} as const;

export type ParamName = keyof typeof PARAM_DEFAULTS;

/** `${param:<name>}`: the value of a parameter, resolved by serverless. */
export const param = (name: ParamName): string => `\${param:${name}}`;
