/**
 * The console's origin, which the API (CORS, problem responses), Cognito (callback and logout
 * URLs) and the console's own distribution all name: its custom domain (the `webOrigin`
 * parameter) when it has one, else its CloudFront distribution's domain.
 */
import type { CfnValue, Conditions, Intrinsic } from './cloudformation';
import { ifCondition, sub } from './cloudformation';
import { param } from './params';

/** The console's CloudFront distribution (infra/web.ts). */
export const WEB_DISTRIBUTION = 'WebDistribution';
export const HAS_CUSTOM_WEB_ORIGIN = 'HasCustomWebOrigin';

/** `https://console.example.com` (webOrigin) or the distribution's own `https://d123.cloudfront.net`. */
export const consoleOrigin: Intrinsic = ifCondition(
  HAS_CUSTOM_WEB_ORIGIN,
  param('webOrigin'),
  sub(`https://\${${WEB_DISTRIBUTION}.DomainName}`),
);

export const consoleOriginConditions = (): Conditions => ({
  [HAS_CUSTOM_WEB_ORIGIN]: { 'Fn::Not': [{ 'Fn::Equals': [param('webOrigin'), ''] }] },
});

/**
 * What serverless's CORS settings carry in place of the console's origin: serverless writes an
 * origin into the preflight answers as a string, so the string is this token, and
 * infra/console-origin-plugin.ts turns every `'<token>'` of the compiled template into consoleOrigin.
 */
export const CONSOLE_ORIGIN_TOKEN = 'vigil-console-origin';

const QUOTED_TOKEN = `'${CONSOLE_ORIGIN_TOKEN}'`;

/**
 * `node` with every `'<token>'` string replaced by `origin` (consoleOrigin as serverless resolved
 * its parameters), quoted the same way.
 */
export const resolveConsoleOrigin = (node: unknown, origin: CfnValue): unknown => {
  if (node === QUOTED_TOKEN) return sub("'${Origin}'", { Origin: origin });
  if (typeof node === 'string' && node.includes(CONSOLE_ORIGIN_TOKEN)) {
    throw new Error(`infra/console-origin.ts: the console origin's token where it cannot be resolved: ${node}`);
  }
  if (Array.isArray(node)) return node.map((item) => resolveConsoleOrigin(item, origin));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolveConsoleOrigin(value, origin)]));
  }
  return node;
};
