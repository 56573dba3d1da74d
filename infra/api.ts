/**
 * The REST API around the routes (the routes themselves are in infra/functions.ts): API keys come
 * from the authorizer (its `usageIdentifierKey`), one usage plan per Vigil plan throttles and caps
 * a tenant, the web app's origin may call /v1 from a browser, and API Gateway's own answers
 * (its refusals, a mistyped route, a function that failed) are RFC 9457 problems like the ones the
 * handlers return.
 */
import { API_ROUTES } from '../functions/api/routes';
import { PLANS } from '../libs/core/src/plans';
import type { ProblemKind } from '../libs/core/src/problems';
import {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_S,
  methodNotAllowed,
  PROBLEMS,
  problemDocument,
} from '../libs/core/src/problems';
import type { CfnResource, Intrinsic, Outputs, Resources } from './cloudformation';
import { ref, sub } from './cloudformation';
import { CONSOLE_ORIGIN_TOKEN, consoleOrigin } from './console-origin';
import { pascalCase, STAGE } from './names';

/** The logical id serverless gives the REST API it creates. */
export const REST_API = 'ApiGatewayRestApi';

/** The stage's base URL: `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`. */
export const apiUrl: Intrinsic = sub(`https://\${${REST_API}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${STAGE}`);

export interface UsagePlan {
  quota: { limit: number; period: 'MONTH' };
  throttle: { rateLimit: number; burstLimit: number };
}

/** `provider.apiGateway` as serverless reads it. */
export interface ApiGatewaySettings {
  shouldStartNameWithService: boolean;
  apiKeySourceType: 'AUTHORIZER';
  usagePlan: Array<Record<string, UsagePlan>>;
}

/**
 * One usage plan per entry in PLANS (serverless names it `vigil-<plan>-<stage>`, logical id
 * `ApiGatewayUsagePlan<Plan>`). API Gateway counts every request against the quota (reads too, a
 * batch as one), so the quota is the plan's request allowance (`monthlyRequests`), not its message
 * allowance, which the API's own guard counts: as the message allowance, it locked a tenant that
 * reads out of its API before its messages were used up.
 */
export const apiGatewaySettings = (): ApiGatewaySettings => ({
  shouldStartNameWithService: true,
  apiKeySourceType: 'AUTHORIZER',
  usagePlan: Object.entries(PLANS).map(([name, plan]) => ({
    [name]: {
      quota: { limit: plan.monthlyRequests, period: 'MONTH' },
      throttle: { rateLimit: plan.ratePerSecond, burstLimit: plan.burst },
    },
  })),
});

/** The logical id serverless gives a plan's usage plan: `pro` → `ApiGatewayUsagePlanPro`. */
export const usagePlanLogicalId = (plan: string): string => `ApiGatewayUsagePlan${pascalCase(plan)}`;

/**
 * Each usage plan's id, `UsagePlan<Plan>Id`: where an operator looks for the plan a tenant's API
 * Gateway key joins (tenant provisioning finds it by name, `vigil-<plan>-<stage>`).
 */
export const usagePlanOutputs = (): Outputs =>
  Object.fromEntries(
    Object.keys(PLANS).map((plan) => [
      `UsagePlan${pascalCase(plan)}Id`,
      {
        Description: `Usage plan of the ${plan} plan: each ${plan} tenant's API Gateway key is in it`,
        Value: ref(usagePlanLogicalId(plan)),
      },
    ]),
  );

export interface CorsSettings {
  origin: string;
  headers: string[];
  allowCredentials: false;
  maxAge: number;
}

/**
 * CORS for a /v1 route, for the console's origin: serverless adds the OPTIONS method answering the
 * preflight (with the origin's token, which infra/console-origin-plugin.ts resolves). The local
 * gateway answers the same preflight (libs/local gateway-cors.ts).
 */
export const corsFor = (path: string): CorsSettings | undefined =>
  path.startsWith('/v1/')
    ? { origin: CONSOLE_ORIGIN_TOKEN, headers: CORS_ALLOWED_HEADERS, allowCredentials: false, maxAge: CORS_MAX_AGE_S }
    : undefined;

/** API Gateway's response types this API answers in its own words (AWS::ApiGateway::GatewayResponse). */
type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'INVALID_API_KEY'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'RESOURCE_NOT_FOUND'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_5XX';

/** One of API Gateway's own answers (its response types), as a problem of the catalogue's. */
export interface GatewayAnswer extends ProblemKind {
  logicalId: string;
  responseType: GatewayResponseType;
}

const answer = (responseType: GatewayResponseType, problem: ProblemKind): GatewayAnswer => ({
  // ACCESS_DENIED → AccessDeniedGatewayResponse (the ids the template has had since the first ones).
  logicalId: `${responseType
    .toLowerCase()
    .split('_')
    .map((word) => pascalCase(word))
    .join('')}GatewayResponse`,
  responseType,
  ...problem,
});

/**
 * API Gateway's own answers, in the words of the problem catalogue (@vigil/core problems.ts) the
 * handlers and the local gateway answer with: its refusals before a function runs, a mistyped
 * route, and a function that failed, never ran or took too long. A response type given no status
 * keeps API Gateway's, so each sets its own.
 */
export const GATEWAY_PROBLEMS: readonly GatewayAnswer[] = [
  answer('UNAUTHORIZED', PROBLEMS.unauthorized),
  ...(['ACCESS_DENIED', 'INVALID_API_KEY'] as const).map((type) => answer(type, PROBLEMS.forbidden)),
  answer('THROTTLED', PROBLEMS.rateLimited),
  answer('QUOTA_EXCEEDED', PROBLEMS.requestQuotaExceeded),
  answer('REQUEST_TOO_LARGE', PROBLEMS.requestTooLargeForGateway),
  answer('UNSUPPORTED_MEDIA_TYPE', PROBLEMS.unsupportedMediaType),
  // API Gateway's name for "no route has this path" (not only for a missing credential); a method
  // a route's path does not take is answered by that path's ANY method (methodNotAllowedMethods).
  ...(['MISSING_AUTHENTICATION_TOKEN', 'RESOURCE_NOT_FOUND'] as const).map((type) =>
    answer(type, PROBLEMS.noSuchRoute),
  ),
  // The authorizer failed: no verdict on the credential, so a 503 the client retries, never a 401.
  answer('AUTHORIZER_FAILURE', PROBLEMS.authorizerFailed),
  answer('AUTHORIZER_CONFIGURATION_ERROR', PROBLEMS.authorizerMisconfigured),
  answer('INTEGRATION_FAILURE', PROBLEMS.functionUnavailable),
  answer('INTEGRATION_TIMEOUT', PROBLEMS.gatewayTimeout),
  // Every other 5xx: a function that crashed, ran past its timeout or answered malformed.
  answer('DEFAULT_5XX', PROBLEMS.functionFailed),
];

/** The problem body; `$context.requestId` is filled in by API Gateway. */
export const problemTemplate = (problem: ProblemKind): string =>
  JSON.stringify(problemDocument(problem, '$context.requestId'));

export const gatewayResponseResources = (): Resources =>
  Object.fromEntries(
    GATEWAY_PROBLEMS.map((problem) => [
      problem.logicalId,
      {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          RestApiId: ref(REST_API),
          ResponseType: problem.responseType,
          StatusCode: String(problem.status),
          ResponseParameters: {
            'gatewayresponse.header.Content-Type': "'application/problem+json'",
            ...Object.fromEntries(
              Object.entries(problem.headers ?? {}).map(([name, value]) => [
                `gatewayresponse.header.${name}`,
                `'${value}'`,
              ]),
            ),
            // So the web app can read the refusal (a 401 never reaches the handler's CORS headers).
            'gatewayresponse.header.Access-Control-Allow-Origin': sub("'${Origin}'", { Origin: consoleOrigin }),
            // And read when to try again: a 503's Retry-After (a browser hides every header not exposed).
            'gatewayresponse.header.Access-Control-Expose-Headers': `'${CORS_EXPOSED_HEADERS.join(', ')}'`,
          },
          ResponseTemplates: { 'application/json': problemTemplate(problem) },
        },
      },
    ]),
  );

/** The part of a resource of serverless's compiled template the local plugins read and change. */
export interface CompiledResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

/**
 * Makes every API deployment of the compiled template (`ApiGatewayDeployment<instance id>`, made
 * anew by serverless on each deploy) wait for `logicalIds`: a deployment snapshots the API as it is
 * when it is created, so one made alongside a resource it should serve would leave it out of the
 * stage until the next deploy.
 */
export const deploymentsWaitFor = (
  resources: Record<string, CompiledResource>,
  logicalIds: readonly string[],
): void => {
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
    const waits = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    resource.DependsOn = [...new Set([...waits, ...logicalIds])];
  }
};

const refOf = (value: unknown): string | undefined =>
  value !== null && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string'
    ? (value as { Ref: string }).Ref
    : undefined;

/**
 * An `ANY` method on each resource serverless made for a route, answering the methods its routes
 * do not take with 405 and `Allow`, as the local gateway does (methodNotAllowed). API Gateway
 * matches a literal path before a `{parameter}` and a resource's own methods before its ANY, so
 * `GET /v1/messages/batch` meets the batch resource's ANY (405, Allow: POST), where it met its
 * MISSING_AUTHENTICATION_TOKEN (404 "No such route"), and `POST /v1/messages` its POST as before.
 * A mock integration (as serverless's own CORS preflights): no function runs, no authorizer is
 * asked, no usage plan counts it. `resources` is the compiled template's (logical ids as serverless
 * names them: `ApiGatewayResourceV1MessagesBatch` → `ApiGatewayMethodV1MessagesBatchAny`).
 */
export const methodNotAllowedMethods = (resources: Record<string, CompiledResource>): Resources => {
  const pathOf = (id: string | undefined): string => {
    const resource = id === undefined ? undefined : resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(refOf(resource.Properties?.ParentId))}/${String(resource.Properties?.PathPart)}`;
  };
  const routed = new Set(
    Object.values(resources)
      .filter(
        (r) => r.Type === 'AWS::ApiGateway::Method' && !['OPTIONS', 'ANY'].includes(String(r.Properties?.HttpMethod)),
      )
      .map((r) => refOf(r.Properties?.ResourceId))
      .filter((id): id is string => id !== undefined),
  );
  return Object.fromEntries(
    [...routed].map((resourceId) => {
      const allow = API_ROUTES.filter((route) => route.path === pathOf(resourceId))
        .map((route) => route.method)
        .join(', ');
      if (allow === '') throw new Error(`infra/api.ts: resource ${resourceId} (${pathOf(resourceId)}) is no route's`);
      const problem = methodNotAllowed('$context.httpMethod', allow);
      const headers: Record<string, string> = {
        'Content-Type': "'application/problem+json'",
        Allow: `'${allow}'`,
        // So the web app can read the refusal; the console origin's token is resolved by console-origin-plugin.ts.
        'Access-Control-Allow-Origin': `'${CONSOLE_ORIGIN_TOKEN}'`,
      };
      const method: CfnResource = {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          RestApiId: ref(REST_API),
          ResourceId: ref(resourceId),
          HttpMethod: 'ANY',
          AuthorizationType: 'NONE',
          ApiKeyRequired: false,
          RequestParameters: {},
          MethodResponses: [
            {
              StatusCode: '405',
              ResponseParameters: Object.fromEntries(
                Object.keys(headers).map((h) => [`method.response.header.${h}`, true]),
              ),
              ResponseModels: {},
            },
          ],
          Integration: {
            Type: 'MOCK',
            RequestTemplates: { 'application/json': '{"statusCode": 405}' },
            ContentHandling: 'CONVERT_TO_TEXT',
            // The one integration response, without a SelectionPattern: whatever the mock says, 405.
            IntegrationResponses: [
              {
                StatusCode: '405',
                ResponseParameters: Object.fromEntries(
                  Object.entries(headers).map(([h, value]) => [`method.response.header.${h}`, value]),
                ),
                ResponseTemplates: { 'application/json': problemTemplate(problem) },
              },
            ],
          },
        },
      };
      return [`${resourceId.replace(/^ApiGatewayResource/, 'ApiGatewayMethod')}Any`, method];
    }),
  );
};
