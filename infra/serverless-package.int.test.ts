/**
 * The deployment, packaged offline: `npm run package -- --stage ci` builds every function bundle
 * and the CloudFormation template without an AWS account (fake credentials), and the template is
 * read for what the architecture promises: the table, the queues, the far-path timer, one API
 * method per route behind the authorizer with usage plans, CORS and problem+json refusals, the
 * canary and the alarms, the web app's Cognito sign-in, and one least-privilege role per function.
 * Parameters are left at their defaults (infra/params.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE_KEY_STAGE_TAG } from '@vigil/aws/api-gateway-usage-plans';
import { CANARY_TENANT_ID } from '@vigil/aws/canary';
import { PROMOTED_BUCKETS_PK } from '@vigil/aws/dynamo-message-store';
import { METRIC, METRICS_NAMESPACE } from '@vigil/aws/metrics';
import { INDEX, SUMMARY_ATTRIBUTES, TTL_ATTRIBUTE } from '@vigil/aws/table-definition';
import { PLANS } from '@vigil/core/plans';
import { DEFAULT_ENGINE_SETTINGS } from '@vigil/core';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PARAM_DEFAULTS } from './params';
import { BULK_JOBS_MAX_CONCURRENCY, DEFAULT_MEMORY_MB, DELIVER_MEMORY_MB, METERING_MAX_CONCURRENCY } from './functions';
import {
  CLOUDFRONT_POLICY,
  STATIC_ASSETS_PATH,
  WEB_ASSETS_DIR,
  WEB_BUILD_DIR,
  WEB_COMPRESSED_UNCACHED,
  WEB_SERVER_ZIP,
} from './web';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAGE = 'ci';
// The console's OpenNext bundle included (and `next build` too when app/.next is stale: `npm test` builds it first).
const PACKAGE_TIMEOUT_MS = 420_000;
const MAX_ZIP_BYTES = 1024 * 1024;
const MB = 1024 * 1024;
/** Lambda's own limits on a function's code, zipped and unzipped. */
const LAMBDA_MAX_ZIP_BYTES = 50 * MB;
const LAMBDA_MAX_UNZIPPED_BYTES = 250 * MB;
/** The console's server bundle's budget, well inside them (4.4 MB zipped, 23 MB unzipped on 2026-12-02). */
const WEB_MAX_ZIP_BYTES = 10 * MB;
const WEB_MAX_UNZIPPED_BYTES = 64 * MB;
const { latenessAlarmMs, canaryEveryMinutes } = PARAM_DEFAULTS;
/**
 * The console's origin as the template has it with the default parameters: webOrigin is empty, so
 * HasCustomWebOrigin is false and the origin is the distribution's own domain.
 */
const CONSOLE_ORIGIN = {
  'Fn::If': ['HasCustomWebOrigin', '', { 'Fn::Sub': 'https://${WebDistribution.DomainName}' }],
};
/** The same, quoted as API Gateway's header mappings want it. */
const QUOTED_CONSOLE_ORIGIN = { 'Fn::Sub': ["'${Origin}'", { Origin: CONSOLE_ORIGIN }] };

const Template = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Properties: z.record(z.string(), z.any()).default({}),
      Condition: z.string().optional(),
      DependsOn: z.any().optional(),
      DeletionPolicy: z.string().optional(),
      UpdateReplacePolicy: z.string().optional(),
    }),
  ),
  Outputs: z.record(z.string(), z.object({ Value: z.any() }).loose()),
  Conditions: z.record(z.string(), z.unknown()).optional(),
});
type Template = z.infer<typeof Template>;
type Resource = Template['Resources'][string];

const Statement = z
  .object({
    Effect: z.enum(['Allow', 'Deny']),
    Action: z.union([z.string(), z.array(z.string())]),
    Resource: z.union([z.unknown(), z.array(z.unknown())]).optional(),
    Principal: z.unknown().optional(),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .loose();
type Statement = z.infer<typeof Statement>;

let packageDir: string;
let template: Template;
let output: string;
/** The packaged template as text, for what may appear nowhere in it. */
let rawTemplate: string;
/**
 * The deploying shell holds a session secret (as an operator's might): it must reach no part of
 * the template.
 */
const SHELL_SECRET = 'ci-session-secret-never-in-the-template';

/** Every Vigil function's key: one per route, plus the engine (the console's server function is apart). */
const FUNCTION_KEYS = [
  ...API_ROUTES.map((r) => r.functionName),
  'authorizer',
  'deliver',
  'promote',
  'sweep',
  'canary',
  'metering',
  'bulkJobs',
  'tableLayoutCheck',
];

/** serverless's logical id for a function key: `createMessage` → `CreateMessageLambdaFunction`. */
const functionId = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;

/** The bytes of every file under `dir`. */
const sizeOfTree = async (dir: string): Promise<number> => {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
};

const resourcesOfType = (type: string): Array<[string, Resource]> =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

const resource = (logicalId: string): Resource => {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
};

const theOnly = (type: string): [string, Resource] => {
  const found = resourcesOfType(type);
  expect(
    found.map(([id]) => id),
    type,
  ).toHaveLength(1);
  return found[0] as [string, Resource];
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every policy document anywhere in the template. */
const allStatements = (node: unknown): Statement[] => {
  if (Array.isArray(node)) return node.flatMap(allStatements);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'Statement' ? asArray(value).map((s) => Statement.parse(s)) : allStatements(value),
  );
};

/** The logical id a `{ Fn::GetAtt: [id, 'Arn'] }` or `{ Ref: id }` points at. */
const targetOf = (value: unknown): string | undefined => {
  const parsed = z
    .union([z.object({ Ref: z.string() }), z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) })])
    .safeParse(value);
  if (!parsed.success) return undefined;
  return 'Ref' in parsed.data ? parsed.data.Ref : parsed.data['Fn::GetAtt'][0];
};

const roleOf = (functionKey: string): Resource => {
  const roleId = targetOf(resource(functionId(functionKey)).Properties.Role);
  if (roleId === undefined) throw new Error(`${functionKey} has no role of its own`);
  return resource(roleId);
};

/** A role's statements: its inline policies', and those of the policies attached to it (AWS::IAM::Policy). */
const roleStatements = (role: Resource): Statement[] => {
  const roleId = Object.entries(template.Resources).find(([, r]) => r === role)?.[0];
  const attached = resourcesOfType('AWS::IAM::Policy')
    .filter(([, policy]) => asArray(policy.Properties.Roles).some((r) => targetOf(r) === roleId))
    .map(([, policy]) => policy.Properties.PolicyDocument);
  return [...allStatements(role.Properties.Policies), ...allStatements(attached)];
};

const actionsOf = (statements: Statement[]): string[] =>
  [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();

/** `/v1/messages/{messageId}` for a method's ResourceId, walking the parents up to the root. */
const pathOf = (resourceId: unknown): string => {
  const id = targetOf(resourceId);
  if (id === undefined || id === 'ApiGatewayRestApi') return '';
  const { ParentId, PathPart } = resource(id).Properties;
  return `${pathOf(ParentId)}/${PathPart}`;
};

/**
 * `npm run package -- --stage ci --package <dir>` with fake credentials; its output, or an error
 * carrying it. The whole process group is killed if it outlives `timeoutMs` (serverless can hang
 * after a failed build), so no stray serverless or esbuild process is left behind.
 */
const packageService = (dir: string, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^AWS_(PROFILE|SESSION_TOKEN)$/.test(name)),
    );
    const child = spawn('npm', ['run', 'package', '--', '--stage', STAGE, '--package', dir], {
      cwd: root,
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        npm_config_update_notifier: 'false',
        NEXTAUTH_SECRET: SHELL_SECRET,
        NODE_ENV: 'production',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`serverless package ${signal ? `was killed (${signal})` : `exited with ${code}`}:\n${output}`),
        );
    });
  });

beforeAll(async () => {
  packageDir = await mkdtemp(join(tmpdir(), 'vigil-package-'));
  output = await packageService(packageDir, PACKAGE_TIMEOUT_MS - 10_000);
  const raw = await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8');
  rawTemplate = raw;
  template = Template.parse(JSON.parse(raw));
}, PACKAGE_TIMEOUT_MS);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

describe('serverless package (offline, --stage ci)', () => {
  it('packages without errors, and without warnings beyond the nodejs22.x runtime serverless 3 does not know', () => {
    expect(output).toContain('Service packaged');
    const warnings = output.split('\n').filter((line) => /^\s*at '/.test(line));
    expect(
      warnings.every((line) => line.includes("'provider.runtime'")),
      warnings.join('\n'),
    ).toBe(true);
  });

  describe('store', () => {
    it('keeps everything in one stage-named table with point-in-time recovery, TTL and the three indexes', () => {
      const [, table] = theOnly('AWS::DynamoDB::Table');
      expect(table.Properties.TableName).toBe(`vigil-${STAGE}-table`);
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: TTL_ATTRIBUTE,
        Enabled: true,
      });
      const indexes = table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string; Projection: unknown }>;
      expect(indexes.map((i) => i.IndexName).sort()).toEqual(Object.values(INDEX).sort());
      // No index copies message bodies: byStatus holds the listing's summary only.
      expect(indexes.find((i) => i.IndexName === INDEX.byStatus)?.Projection).toEqual({
        ProjectionType: 'INCLUDE',
        NonKeyAttributes: [...SUMMARY_ATTRIBUTES],
      });
    });

    it('keeps the table and the user pool when the stack is deleted or would replace them, each deletion-protected', () => {
      const [, table] = theOnly('AWS::DynamoDB::Table');
      const [, pool] = theOnly('AWS::Cognito::UserPool');
      for (const kept of [table, pool]) {
        expect(kept).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    });
    it('checks the table’s shard counts before any function runs with them (TableLayoutCheck)', () => {
      const check = resource('TableLayoutCheck');
      expect(check.Type).toBe('Custom::TableLayout');
      expect(check.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [functionId('tableLayoutCheck'), 'Arn'] },
        ServiceTimeout: 120,
        TableName: { Ref: 'VigilTable' },
        TenantShards: PARAM_DEFAULTS.tenantShards,
        IndexShards: PARAM_DEFAULTS.indexShards,
      });
      // CloudFormation updates the check before every function that reads the table, and not its own provider.
      for (const key of FUNCTION_KEYS) {
        const waitsFor = asArray((resource(functionId(key)).DependsOn as string | string[]) ?? []);
        if (key === 'tableLayoutCheck') expect(waitsFor).not.toContain('TableLayoutCheck');
        else expect(waitsFor, key).toContain('TableLayoutCheck');
      }
    });

    it('orders its resources without a dependency cycle (DependsOn, Ref, GetAtt, Sub)', () => {
      const ids = new Set(Object.keys(template.Resources));
      const referencedBy = (node: unknown): string[] => {
        if (Array.isArray(node)) return node.flatMap(referencedBy);
        if (typeof node !== 'object' || node === null) return [];
        return Object.entries(node).flatMap(([key, value]) => {
          if (key === 'Ref' && typeof value === 'string') return [value];
          if (key === 'Fn::GetAtt') return [asArray(value as string | string[])[0] ?? ''];
          if (key === 'Fn::Sub') {
            const [text, variables] = asArray(value as unknown[]) as [string, Record<string, unknown>?];
            const named = [...text.matchAll(/\$\{([^}.!]+)/g)].map((m) => m[1] ?? '');
            return [...named.filter((name) => !(name in (variables ?? {}))), ...referencedBy(variables)];
          }
          return referencedBy(value);
        });
      };
      const dependencies = new Map(
        Object.entries(template.Resources).map(([id, r]) => [
          id,
          [...new Set([...asArray((r.DependsOn as string | string[]) ?? []), ...referencedBy(r.Properties)])].filter(
            (dep) => ids.has(dep),
          ),
        ]),
      );
      const done = new Set<string>();
      const visit = (id: string, path: string[]) => {
        if (path.includes(id)) throw new Error(`dependency cycle: ${[...path, id].join(' → ')}`);
        if (done.has(id)) return;
        for (const dep of dependencies.get(id) ?? []) visit(dep, [...path, id]);
        done.add(id);
      };
      // The graph holds what CloudFormation orders by: the check after its provider and the table, the functions after it.
      expect(dependencies.get('TableLayoutCheck')).toEqual(
        expect.arrayContaining([functionId('tableLayoutCheck'), 'VigilTable']),
      );
      expect(dependencies.get(functionId('deliver'))).toEqual(
        expect.arrayContaining(['TableLayoutCheck', 'DeliverRole', 'VigilTable', 'DeliveryQueue']),
      );
      for (const id of ids) visit(id, []);
      expect(done.size).toBe(ids.size);
    });
  });

  describe('queues', () => {
    it('parks a ticket that failed five times in a dead-letter queue that keeps it for 14 days', () => {
      const queue = resource('DeliveryQueue');
      const dlq = resource('DeliveryDeadLetterQueue');
      expect(queue.Properties.QueueName).toBe(`vigil-${STAGE}-delivery`);
      expect(targetOf(queue.Properties.RedrivePolicy.deadLetterTargetArn)).toBe('DeliveryDeadLetterQueue');
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
      expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it('gives every queue a dead-letter queue, the metering queue included (both delivery queues share one)', () => {
      const queues = resourcesOfType('AWS::SQS::Queue').filter(([id]) => !id.endsWith('DeadLetterQueue'));
      expect(queues.map(([id]) => id).sort()).toEqual([
        'DeliveryQueue',
        'JobQueue',
        'MeteringQueue',
        'PromptDeliveryQueue',
      ]);
      for (const [id, queue] of queues) {
        expect(targetOf(queue.Properties.RedrivePolicy.deadLetterTargetArn), id).toBe(
          `${id.replace('Prompt', '').replace('Queue', '')}DeadLetterQueue`,
        );
      }
      expect(resource('PromptDeliveryQueue').Properties.QueueName).toBe(`vigil-${STAGE}-delivery-prompt`);
    });

    it('hides a received ticket for at least six times the deliver timeout', () => {
      const deliverTimeout = resource(functionId('deliver')).Properties.Timeout as number;
      for (const id of ['DeliveryQueue', 'PromptDeliveryQueue'])
        expect(resource(id).Properties.VisibilityTimeout, id).toBeGreaterThanOrEqual(6 * deliverTimeout);
    });

    it('feeds each queue to its function in batches of ten, retrying only the records that failed', () => {
      const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
      const byQueue = Object.fromEntries(mappings.map((m) => [targetOf(m.EventSourceArn), m]));
      expect(Object.keys(byQueue).sort()).toEqual([
        'DeliveryQueue',
        'JobQueue',
        'MeteringQueue',
        'PromptDeliveryQueue',
      ]);
      // Deliver's `provisioned` alias, where its warm environments are (deliverWarmEnvironments).
      for (const id of ['DeliveryQueue', 'PromptDeliveryQueue']) {
        expect(byQueue[id].FunctionName, id).toEqual({
          'Fn::Join': [':', [{ 'Fn::GetAtt': [functionId('deliver'), 'Arn'] }, 'provisioned']],
        });
      }
      // A bulk job's step is a page of 100 messages: one per invocation.
      expect(targetOf(byQueue.JobQueue.FunctionName)).toBe(functionId('bulkJobs'));
      expect(byQueue.JobQueue.BatchSize).toBe(1);
      expect(targetOf(byQueue.MeteringQueue.FunctionName)).toBe(functionId('metering'));
      // Delivery tickets wait up to the engine's gather window to fill batches of ten (tickets due
      // about the same second share an invocation); prompt ones, due too soon for that, go out at
      // once. Usage events wait a few seconds to fill batches of 100, which the metering function
      // folds with fewer writes.
      expect(byQueue.DeliveryQueue.MaximumBatchingWindowInSeconds).toBe(DEFAULT_ENGINE_SETTINGS.gatherWindowMs / 1000);
      expect(byQueue.DeliveryQueue.MaximumBatchingWindowInSeconds).toBe(1);
      expect(byQueue.DeliveryQueue.BatchSize).toBe(10);
      expect(byQueue.PromptDeliveryQueue.MaximumBatchingWindowInSeconds).toBe(0);
      expect(byQueue.PromptDeliveryQueue.BatchSize).toBe(10);
      expect(byQueue.MeteringQueue.MaximumBatchingWindowInSeconds).toBe(5);
      expect(byQueue.MeteringQueue.BatchSize).toBe(100);
      for (const mapping of mappings) expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });

    it("bounds each queue's consumer, so a surge waits in its queue instead of taking the API's concurrency", () => {
      const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
      const boundOf = Object.fromEntries(mappings.map((m) => [targetOf(m.EventSourceArn), m.ScalingConfig]));
      expect(boundOf).toEqual({
        DeliveryQueue: { MaximumConcurrency: PARAM_DEFAULTS.deliverMaxConcurrency },
        PromptDeliveryQueue: { MaximumConcurrency: PARAM_DEFAULTS.deliverMaxConcurrency },
        MeteringQueue: { MaximumConcurrency: METERING_MAX_CONCURRENCY },
        JobQueue: { MaximumConcurrency: BULK_JOBS_MAX_CONCURRENCY },
      });
      // Bounded by its event sources, not by reserved concurrency, which would take from the account's pool.
      for (const [id, fn] of resourcesOfType('AWS::Lambda::Function'))
        expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
    });
  });

  describe('API', () => {
    it('serves exactly the routes in API_ROUTES, each by its own function', () => {
      const methods = resourcesOfType('AWS::ApiGateway::Method')
        .map(([, m]) => m.Properties)
        .filter((m) => m.HttpMethod !== 'OPTIONS' && m.HttpMethod !== 'ANY');
      const served = methods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}`).sort();
      expect(served).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      for (const route of API_ROUTES) {
        const method = methods.find((m) => m.HttpMethod === route.method && pathOf(m.ResourceId) === route.path);
        expect(JSON.stringify(method?.Integration.Uri), route.path).toContain(`"${functionId(route.functionName)}"`);
        expect(method?.Integration.Type).toBe('AWS_PROXY');
      }
    });

    it('asks a REQUEST authorizer, cached for at most a minute, about every route but the public ones', () => {
      const [authorizerId, authorizer] = theOnly('AWS::ApiGateway::Authorizer');
      expect(authorizer.Properties.Type).toBe('REQUEST');
      expect(authorizer.Properties.AuthorizerResultTtlInSeconds).toBeLessThanOrEqual(60);
      expect(authorizer.Properties.IdentitySource).toBe('method.request.header.Authorization');
      expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(`"${functionId('authorizer')}"`);
      for (const [, { Properties: m }] of resourcesOfType('AWS::ApiGateway::Method')) {
        const route = API_ROUTES.find((r) => r.method === m.HttpMethod && r.path === pathOf(m.ResourceId));
        if (route?.auth) {
          expect(m.AuthorizationType, route.path).toBe('CUSTOM');
          expect(targetOf(m.AuthorizerId), route.path).toBe(authorizerId);
        } else if (route) {
          expect(m.AuthorizationType, route.path).toBe('NONE');
        }
      }
    });

    it('publishes the API URL, the table and both queues as stack outputs', () => {
      expect(Object.keys(template.Outputs)).toEqual(
        expect.arrayContaining(['ApiUrl', 'TableName', 'DeliveryQueueUrl', 'DeliveryDeadLetterQueueUrl']),
      );
    });

    it("publishes each usage plan's id as a stack output", () => {
      for (const name of Object.keys(PLANS)) {
        const output = template.Outputs[`UsagePlan${name.charAt(0).toUpperCase()}${name.slice(1)}Id`];
        expect(output, name).toBeDefined();
        const plan = resource(targetOf(output?.Value) as string);
        expect(plan.Type, name).toBe('AWS::ApiGateway::UsagePlan');
        expect(plan.Properties.UsagePlanName, name).toBe(`vigil-${name}-${STAGE}`);
      }
    });

    it('takes the API key for usage plans from the authorizer, and requires it on every authorized route', () => {
      const [, api] = theOnly('AWS::ApiGateway::RestApi');
      expect(api.Properties.ApiKeySourceType).toBe('AUTHORIZER');
      let checked = 0;
      for (const [, { Properties: m }] of resourcesOfType('AWS::ApiGateway::Method')) {
        const route = API_ROUTES.find((r) => r.method === m.HttpMethod && r.path === pathOf(m.ResourceId));
        if (!route) continue;
        // Without ApiKeyRequired a usage plan neither throttles nor caps the method. The console's
        // first sign-in comes before the tenant (and so its key) exists.
        expect(Boolean(m.ApiKeyRequired), `${route.method} ${route.path}`).toBe(route.auth && !route.sessionUser);
        checked += 1;
      }
      expect(checked).toBe(API_ROUTES.length);
    });

    it("has one usage plan per plan, on this stage, with the plan's rate, burst and monthly request quota", () => {
      const plans = resourcesOfType('AWS::ApiGateway::UsagePlan').map(([, p]) => p.Properties);
      expect(plans).toHaveLength(Object.keys(PLANS).length);
      for (const [name, plan] of Object.entries(PLANS)) {
        const usagePlan = plans.find((p) => p.UsagePlanName === `vigil-${name}-${STAGE}`);
        expect(usagePlan, name).toBeDefined();
        expect(usagePlan?.Throttle, name).toEqual({ RateLimit: plan.ratePerSecond, BurstLimit: plan.burst });
        expect(usagePlan?.Quota, name).toEqual({ Limit: plan.monthlyRequests, Period: 'MONTH' });
        expect(usagePlan?.ApiStages, name).toEqual([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: STAGE }]);
      }
    });

    it("answers the browser's preflight on every /v1 route, for the web app's origin only, without the authorizer", () => {
      const preflights = resourcesOfType('AWS::ApiGateway::Method')
        .map(([, m]) => m.Properties)
        .filter((m) => m.HttpMethod === 'OPTIONS');
      const v1Paths = [...new Set(API_ROUTES.map((r) => r.path).filter((p) => p.startsWith('/v1/')))].sort();
      expect(preflights.map((m) => pathOf(m.ResourceId)).sort()).toEqual(v1Paths);
      for (const preflight of preflights) {
        const path = pathOf(preflight.ResourceId);
        expect(preflight.AuthorizationType, path).toBe('NONE');
        const headers = preflight.Integration.IntegrationResponses[0].ResponseParameters;
        expect(headers['method.response.header.Access-Control-Allow-Origin'], path).toEqual(QUOTED_CONSOLE_ORIGIN);
        expect(headers['method.response.header.Access-Control-Allow-Headers'], path).toMatch(/\bAuthorization\b/);
        const methods = API_ROUTES.filter((r) => r.path === path).map((r) => r.method);
        for (const method of methods)
          expect(headers['method.response.header.Access-Control-Allow-Methods'], path).toContain(method);
      }
    });

    it("answers a method a route's path does not take 405 with Allow, from a mock, as the local gateway does (GET /v1/messages/batch)", () => {
      const [deploymentId, deployment] = theOnly('AWS::ApiGateway::Deployment');
      const anyMethods = resourcesOfType('AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties.HttpMethod === 'ANY',
      );
      const paths = [...new Set(API_ROUTES.map((r) => r.path))].sort();
      expect(anyMethods.map(([, m]) => pathOf(m.Properties.ResourceId)).sort()).toEqual(paths);
      for (const [id, { Properties: m }] of anyMethods) {
        const path = pathOf(m.ResourceId);
        const allow = API_ROUTES.filter((r) => r.path === path).map((r) => r.method);
        expect(m.AuthorizationType, path).toBe('NONE');
        expect(m.Integration.Type, path).toBe('MOCK');
        const [response] = m.Integration.IntegrationResponses;
        expect(response.StatusCode, path).toBe('405');
        expect(response.ResponseParameters['method.response.header.Allow'], path).toBe(`'${allow.join(', ')}'`);
        expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'], path).toEqual(
          QUOTED_CONSOLE_ORIGIN,
        );
        expect(JSON.parse(response.ResponseTemplates['application/json']), path).toMatchObject({
          type: 'https://vigil.dev/problems/method-not-allowed',
          status: 405,
        });
        expect(deployment.DependsOn, `${deploymentId} waits for ${id}`).toContain(id);
      }
    });

    it("turns API Gateway's own answers into problem+json bodies like the app's, each with its status", () => {
      const expected = [
        { type: 'UNAUTHORIZED', status: 401, slug: 'unauthorized' },
        { type: 'ACCESS_DENIED', status: 403, slug: 'forbidden' },
        { type: 'INVALID_API_KEY', status: 403, slug: 'forbidden' },
        { type: 'THROTTLED', status: 429, slug: 'rate-limited' },
        { type: 'QUOTA_EXCEEDED', status: 429, slug: 'quota-exceeded' },
        { type: 'REQUEST_TOO_LARGE', status: 413, slug: 'payload-too-large' },
        { type: 'UNSUPPORTED_MEDIA_TYPE', status: 415, slug: 'unsupported-media-type' },
        // A mistyped path or method: API Gateway's own answer is a 403 "Missing Authentication Token".
        { type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, slug: 'no-such-route' },
        { type: 'RESOURCE_NOT_FOUND', status: 404, slug: 'no-such-route' },
        // An authorizer that failed is no verdict on the credential: a 503 a client retries, not a 401.
        { type: 'AUTHORIZER_FAILURE', status: 503, slug: 'unavailable' },
        { type: 'AUTHORIZER_CONFIGURATION_ERROR', status: 500, slug: 'internal' },
        // A function that never ran (its concurrency used up), took too long, or failed.
        { type: 'INTEGRATION_FAILURE', status: 503, slug: 'unavailable' },
        { type: 'INTEGRATION_TIMEOUT', status: 504, slug: 'timeout' },
        { type: 'DEFAULT_5XX', status: 502, slug: 'internal' },
      ];
      const responses = resourcesOfType('AWS::ApiGateway::GatewayResponse');
      expect(responses.map(([, r]) => r.Properties.ResponseType).sort()).toEqual(expected.map((e) => e.type).sort());
      const [deploymentId, deployment] = theOnly('AWS::ApiGateway::Deployment');
      for (const { type, status, slug } of expected) {
        const [id, response] = responses.find(([, r]) => r.Properties.ResponseType === type) ?? [];
        expect(targetOf(response?.Properties.RestApiId), type).toBe('ApiGatewayRestApi');
        expect(response?.Properties.StatusCode, type).toBe(String(status));
        expect(response?.Properties.ResponseParameters['gatewayresponse.header.Content-Type'], type).toBe(
          "'application/problem+json'",
        );
        expect(
          response?.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'],
          type,
        ).toEqual(QUOTED_CONSOLE_ORIGIN);
        // A browser script reads a refusal's Retry-After (and RateLimit-*) only when the answer exposes them.
        expect(
          response?.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Expose-Headers'],
          type,
        ).toBe("'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset'");
        const body = JSON.parse(response?.Properties.ResponseTemplates['application/json']);
        expect(body, type).toEqual({
          type: `https://vigil.dev/problems/${slug}`,
          title: expect.any(String),
          status,
          detail: expect.any(String),
          requestId: '$context.requestId',
        });
        if (status === 503)
          expect(response?.Properties.ResponseParameters['gatewayresponse.header.Retry-After'], type).toBe("'1'");
        // A 401 names the scheme it wants (RFC 9110 §11.6.1), as the handlers' and the local gateway's do.
        if (status === 401)
          expect(response?.Properties.ResponseParameters['gatewayresponse.header.WWW-Authenticate'], type).toBe(
            "'Bearer'",
          );
        // A deployment snapshots the API: it must come after the responses it should serve.
        expect(deployment.DependsOn, `${deploymentId} waits for ${id}`).toContain(id);
      }
    });
  });

  describe('engine', () => {
    it("runs the canary on the canaryEveryMinutes parameter, probing the stage's own /canary-receiver", () => {
      const canary = resource(functionId('canary')).Properties;
      expect(canary.Handler).toBe('functions/engine/canary.handler');
      expect(canary.Environment.Variables.VIGIL_CANARY_URL).toEqual({
        'Fn::Sub': `https://\${ApiGatewayRestApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${STAGE}/canary-receiver`,
      });
      const rules = resourcesOfType('AWS::Events::Rule').map(([, r]) => r.Properties);
      const schedule = rules.find((r) =>
        r.Targets.some((t: { Arn: unknown }) => targetOf(t.Arn) === functionId('canary')),
      );
      expect(schedule?.ScheduleExpression).toBe(`rate(${canaryEveryMinutes} minutes)`);
      expect(schedule?.State).toBe('ENABLED');
      const receiver = API_ROUTES.find((r) => r.functionName === 'canaryReceiver');
      expect(receiver).toMatchObject({ method: 'POST', path: '/canary-receiver', auth: false });
    });

    it('runs the delivery worker, which mostly waits for due instants, at its own smaller memory', () => {
      expect(resource(functionId('deliver')).Properties.MemorySize).toBe(DELIVER_MEMORY_MB);
      expect(resource(functionId('promote')).Properties.MemorySize).toBe(DEFAULT_MEMORY_MB);
    });

    it('keeps deliverWarmEnvironments of the delivery worker initialized, on the alias the delivery queue invokes', () => {
      // A cold deliver loads its module for 1.4-1.8 s at 256 MB's share of a core (npm run bench:cold):
      // more than a ticket's arm lead. Provisioned concurrency has that done before a ticket comes.
      const [aliasId, alias] = theOnly('AWS::Lambda::Alias');
      expect(alias.Properties).toMatchObject({
        FunctionName: { Ref: functionId('deliver') },
        Name: 'provisioned',
        ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: PARAM_DEFAULTS.deliverWarmEnvironments },
      });
      const version = targetOf(alias.Properties.FunctionVersion);
      expect(resource(version!).Type, `${aliasId}'s version`).toBe('AWS::Lambda::Version');
    });

    it('sweeps for overdue messages every minute', () => {
      const rules = resourcesOfType('AWS::Events::Rule').map(([, r]) => r.Properties);
      const sweep = rules.find((r) => r.Targets.some((t: { Arn: unknown }) => targetOf(t.Arn) === functionId('sweep')));
      expect(sweep?.ScheduleExpression).toBe('rate(1 minute)');
      expect(sweep?.State).toBe('ENABLED');
    });

    it('gives the far path a schedule group per stage and a role Scheduler may only use to invoke promote', () => {
      const [groupId, group] = theOnly('AWS::Scheduler::ScheduleGroup');
      expect(group.Properties.Name).toBe(`vigil-${STAGE}-buckets`);
      const role = resource('SchedulerRole');
      const [trust] = allStatements(role.Properties.AssumeRolePolicyDocument);
      expect(trust?.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
      expect(trust?.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      const statements = roleStatements(role);
      expect(actionsOf(statements)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
      const invoke = statements.filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
      const promoteName = resource(functionId('promote')).Properties.FunctionName;
      expect(promoteName).toBe(`vigil-${STAGE}-promote`);
      expect(invoke).toHaveLength(1);
      expect(JSON.stringify(invoke[0]?.Resource)).toMatch(new RegExp(`:function:${promoteName}"`));

      for (const key of FUNCTION_KEYS) {
        const env = resource(functionId(key)).Properties.Environment.Variables;
        expect(targetOf(env.VIGIL_SCHEDULE_GROUP), key).toBe(groupId);
        expect(targetOf(env.VIGIL_SCHEDULER_ROLE_ARN), key).toBe('SchedulerRole');
        expect(JSON.stringify(env.VIGIL_PROMOTE_ARN), key).toMatch(new RegExp(`:function:${promoteName}"`));
      }
    });

    it('parks a bucket Scheduler could not promote after its retries in a dead-letter queue of its own', () => {
      // The schedules are made at run time (libs/aws scheduler-bucket-timer.ts): every function that
      // may make one learns the queue from its environment, and Scheduler's role may send to it only.
      const dlq = resource('SchedulerDeadLetterQueue');
      expect(dlq.Type).toBe('AWS::SQS::Queue');
      expect(dlq.Properties).toMatchObject({
        QueueName: `vigil-${STAGE}-scheduler-dlq`,
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
      const sends = roleStatements(resource('SchedulerRole')).filter((s) =>
        asArray(s.Action).includes('sqs:SendMessage'),
      );
      expect(sends.flatMap((s) => asArray(s.Action))).toEqual(['sqs:SendMessage']);
      expect(sends.flatMap((s) => asArray(s.Resource)).map(targetOf)).toEqual(['SchedulerDeadLetterQueue']);
      for (const key of FUNCTION_KEYS) {
        const env = resource(functionId(key)).Properties.Environment.Variables;
        expect(env.VIGIL_SCHEDULER_DLQ_ARN, key).toEqual({ 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] });
      }
    });

    it('configures every function for AWS: table, queue, no private targets', () => {
      for (const key of FUNCTION_KEYS) {
        const fn = resource(functionId(key)).Properties;
        expect(fn.FunctionName).toBe(`vigil-${STAGE}-${key}`);
        expect(fn.Runtime).toBe('nodejs22.x');
        expect(fn.Architectures).toEqual(['arm64']);
        expect(targetOf(fn.Environment.Variables.VIGIL_TABLE), key).toBe('VigilTable');
        expect(targetOf(fn.Environment.Variables.VIGIL_DELIVERY_QUEUE_URL), key).toBe('DeliveryQueue');
        expect(targetOf(fn.Environment.Variables.VIGIL_PROMPT_QUEUE_URL), key).toBe('PromptDeliveryQueue');
        expect(fn.Environment.Variables.VIGIL_ALLOW_PRIVATE_TARGETS, key).toBe('false');
        expect(fn.Environment.Variables.VIGIL_STAGE, key).toBe(STAGE);
        expect(fn.Environment.Variables.VIGIL_METRICS, key).toBe('on');
        // Every function finds the stage's messages under the same keys (params.ts; set once per stage).
        expect(fn.Environment.Variables.VIGIL_TENANT_SHARDS, key).toBe(String(PARAM_DEFAULTS.tenantShards));
        expect(fn.Environment.Variables.VIGIL_INDEX_SHARDS, key).toBe(String(PARAM_DEFAULTS.indexShards));
        // No source maps are shipped, so nothing for Node to load them for.
        expect(fn.Environment.Variables.NODE_OPTIONS ?? '', key).not.toContain('source-maps');
        // Only the authorizer learns where the web session secret is, and only its name.
        expect(fn.Environment.Variables.NEXTAUTH_SECRET, key).toBeUndefined();
        expect(fn.Environment.Variables.VIGIL_SESSION_SECRET_PARAMETER, key).toBe(
          key === 'authorizer' ? `/vigil/${STAGE}/session-secret` : undefined,
        );
      }
      expect(
        resourcesOfType('AWS::Lambda::Function')
          .map(([id]) => id)
          .sort(),
      ).toEqual([...FUNCTION_KEYS, 'web'].map(functionId).sort());
      for (const [id, group] of resourcesOfType('AWS::Logs::LogGroup'))
        expect(group.Properties.RetentionInDays, id).toBe(30);
    });
  });

  describe('IAM: least privilege, per function', () => {
    const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const DISPATCH = ['sqs:SendMessage', 'scheduler:CreateSchedule', 'iam:PassRole'];
    /** A create's, single or a batch: its writes, its rollback's delete, its quota's query, its dispatch. */
    const CREATE = [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      ...DISPATCH,
    ];
    /** What each function's code does (store, queue, timer), and so all its role may allow. */
    const EXPECTED_ACTIONS: Record<string, string[]> = {
      health: [],
      createMessage: CREATE,
      createMessageBatch: CREATE,
      listMessages: ['dynamodb:Query'],
      cancelMessages: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage'],
      redeliverMessages: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage'],
      getJob: ['dynamodb:GetItem'],
      listJobs: ['dynamodb:Query'],
      getMessage: ['dynamodb:GetItem'],
      updateMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', ...DISPATCH],
      cancelMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', 'sqs:SendMessage'],
      listAttempts: ['dynamodb:GetItem'],
      getMessageBody: ['dynamodb:GetItem'],
      redeliverMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', ...DISPATCH],
      retryMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', ...DISPATCH],
      getSigningSecret: ['dynamodb:GetItem'],
      rotateSigningSecret: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      listApiKeys: ['dynamodb:Query'],
      createApiKey: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        ...DISPATCH,
      ],
      revokeApiKey: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem', ...DISPATCH],
      listNotificationEndpoints: ['dynamodb:Query'],
      createNotificationEndpoint: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      deleteNotificationEndpoint: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
      testNotificationEndpoint: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...DISPATCH,
      ],
      listNotificationEndpointDeliveries: ['dynamodb:Query', 'dynamodb:GetItem'],
      canaryReceiver: ['dynamodb:GetItem'],
      getUsage: ['dynamodb:GetItem', 'dynamodb:Query'],
      claimSessionTenant: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'apigateway:GET',
        'apigateway:POST',
        'apigateway:PUT',
        'apigateway:DELETE',
      ],
      revokeSession: ['dynamodb:PutItem'],
      authorizer: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ssm:GetParameter'],
      deliver: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        ...DISPATCH,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ChangeMessageVisibility',
      ],
      promote: ['dynamodb:PutItem', 'dynamodb:Query', 'sqs:SendMessage'],
      sweep: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'sqs:SendMessage'],
      canary: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem', ...DISPATCH],
      bulkJobs: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        ...DISPATCH,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ChangeMessageVisibility',
      ],
      metering: [
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ChangeMessageVisibility',
      ],
      tableLayoutCheck: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
    };

    it('runs every function with a role of its own that only Lambda can assume', () => {
      const roleIds = FUNCTION_KEYS.map((key) => targetOf(resource(functionId(key)).Properties.Role));
      expect(roleIds.every((id) => id !== undefined)).toBe(true);
      expect(new Set(roleIds).size).toBe(FUNCTION_KEYS.length);
      for (const key of FUNCTION_KEYS) {
        const role = roleOf(key);
        expect(role.Type).toBe('AWS::IAM::Role');
        expect(role.Properties.ManagedPolicyArns, key).toBeUndefined();
        expect(allStatements(role.Properties.AssumeRolePolicyDocument).map((s) => s.Principal)).toEqual([
          { Service: 'lambda.amazonaws.com' },
        ]);
      }
    });

    it('allows each function exactly the actions its code uses', () => {
      expect(Object.keys(EXPECTED_ACTIONS).sort()).toEqual([...FUNCTION_KEYS].sort());
      for (const key of FUNCTION_KEYS) {
        expect(actionsOf(roleStatements(roleOf(key))), key).toEqual([...LOGS, ...(EXPECTED_ACTIONS[key] ?? [])].sort());
      }
    });

    it('lets a function write to its own log group only, and read only the indexes it queries', () => {
      for (const key of FUNCTION_KEYS) {
        const logs = roleStatements(roleOf(key)).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
        expect(JSON.stringify(logs.map((s) => s.Resource)), key).toMatch(
          new RegExp(`/aws/lambda/vigil-${STAGE}-${key}:\\*"`),
        );
      }
      const indexesQueriedBy = (key: string) =>
        roleStatements(roleOf(key))
          .flatMap((s) => asArray(s.Resource))
          .flatMap((r) => [...JSON.stringify(r).matchAll(/\/index\/(\w+)/g)].map((m) => m[1]));
      expect(indexesQueriedBy('promote')).toEqual([INDEX.bucket]);
      expect(indexesQueriedBy('sweep')).toEqual([INDEX.pending, INDEX.bucket]);
      expect(indexesQueriedBy('listMessages')).toEqual([INDEX.byStatus]);
      expect(indexesQueriedBy('bulkJobs')).toEqual([INDEX.byStatus]);
    });

    it("lets only the console's first sign-in make API Gateway keys: tagged with its stage, into this stage's usage plans", () => {
      for (const key of FUNCTION_KEYS) {
        if (key === 'claimSessionTenant') continue;
        const apiGateway = roleStatements(roleOf(key)).filter((s) =>
          asArray(s.Action).some((a) => a.startsWith('apigateway:')),
        );
        expect(apiGateway, key).toEqual([]);
        expect(resource(functionId(key)).Properties.Environment.Variables.VIGIL_USAGE_PLANS, key).toBeUndefined();
      }
      expect(resource(functionId('claimSessionTenant')).Properties.Environment.Variables.VIGIL_USAGE_PLANS).toBe('on');

      // In a policy attached to the function's role, not in the role: the usage plans come after the
      // API's deployment, which comes after the function (the template's cycle test holds the order).
      const role = roleOf('claimSessionTenant');
      const inline = allStatements(role.Properties.Policies);
      expect(inline.filter((s) => asArray(s.Action).some((a) => a.startsWith('apigateway:')))).toEqual([]);
      const policy = resource('ClaimSessionTenantUsagePlansPolicy');
      expect(policy.Type).toBe('AWS::IAM::Policy');
      expect(policy.Properties.Roles).toEqual([{ Ref: 'ClaimSessionTenantRole' }]);

      const arn = (path: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:apigateway:\${AWS::Region}::${path}` });
      const inEachUsagePlan = (path: string) =>
        Object.keys(PLANS).map((plan) => ({
          'Fn::Sub': [
            `arn:\${AWS::Partition}:apigateway:\${AWS::Region}::/usageplans/\${UsagePlan}${path}`,
            { UsagePlan: { Ref: `ApiGatewayUsagePlan${plan.charAt(0).toUpperCase()}${plan.slice(1)}` } },
          ],
        }));
      const taggedForThisStage = {
        StringEquals: { [`aws:RequestTag/${USAGE_KEY_STAGE_TAG}`]: STAGE },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenantId', USAGE_KEY_STAGE_TAG] },
      };
      const statements = allStatements(policy.Properties.PolicyDocument);
      expect(statements).toEqual([
        // The two lists (the binder finds plans and keys by name): API Gateway's IAM cannot narrow them.
        { Effect: 'Allow', Action: ['apigateway:GET'], Resource: [arn('/usageplans'), arn('/apikeys')] },
        // Keys are made only tagged with this stage, and deleted only when so tagged.
        { Effect: 'Allow', Action: ['apigateway:POST'], Resource: [arn('/apikeys')], Condition: taggedForThisStage },
        { Effect: 'Allow', Action: ['apigateway:PUT'], Resource: [arn('/tags/*')], Condition: taggedForThisStage },
        // Into this stage's usage plans only, by their ids.
        { Effect: 'Allow', Action: ['apigateway:POST'], Resource: inEachUsagePlan('/keys') },
        { Effect: 'Allow', Action: ['apigateway:GET'], Resource: inEachUsagePlan('/keys/*') },
        {
          Effect: 'Allow',
          Action: ['apigateway:DELETE'],
          Resource: [arn('/apikeys/*')],
          Condition: { StringEquals: { [`aws:ResourceTag/${USAGE_KEY_STAGE_TAG}`]: STAGE } },
        },
      ]);
      for (const plan of Object.keys(PLANS))
        expect(resource(`ApiGatewayUsagePlan${plan.charAt(0).toUpperCase()}${plan.slice(1)}`).Type).toBe(
          'AWS::ApiGateway::UsagePlan',
        );
    });

    it("lets only the authorizer read the session secret, and only this stage's parameter", () => {
      for (const key of FUNCTION_KEYS) {
        const ssm = roleStatements(roleOf(key)).filter((s) => asArray(s.Action).some((a) => a.startsWith('ssm:')));
        if (key !== 'authorizer') {
          expect(ssm, key).toEqual([]);
          continue;
        }
        expect(ssm.flatMap((s) => asArray(s.Action))).toEqual(['ssm:GetParameter']);
        expect(ssm.flatMap((s) => asArray(s.Resource))).toEqual([
          {
            'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/vigil/${STAGE}/session-secret`,
          },
        ]);
      }
    });

    it("lets the canary receiver, a public route, read the canary tenant's item and no other tenant's", () => {
      const reads = roleStatements(roleOf('canaryReceiver')).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('dynamodb:')),
      );
      expect(reads).toEqual([
        expect.objectContaining({
          Action: ['dynamodb:GetItem'],
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`T#${CANARY_TENANT_ID}`] } },
        }),
      ]);
    });

    it('lets promote, which a schedule invokes, write only the notes that a bucket was promoted: no message, no tenant', () => {
      const writes = roleStatements(roleOf('promote')).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:Query'),
      );
      expect(writes).toEqual([
        expect.objectContaining({
          Action: ['dynamodb:PutItem'],
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [PROMOTED_BUCKETS_PK] } },
        }),
      ]);
    });

    it("lets the sweep read and write only tenants' partitions and the bucket notes: no API key, user, session or layout", () => {
      const items = roleStatements(roleOf('sweep')).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:Query'),
      );
      expect(items).toEqual([
        expect.objectContaining({
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*', PROMOTED_BUCKETS_PK] } },
        }),
      ]);
    });

    it("lets the delivery worker, bulk jobs and metering touch tenants' partitions only: no API key, user, session or layout", () => {
      for (const key of ['deliver', 'bulkJobs', 'metering']) {
        const items = roleStatements(roleOf(key)).filter((s) =>
          asArray(s.Action).some((a) => a.startsWith('dynamodb:') && targetOf(asArray(s.Resource)[0]) === 'VigilTable'),
        );
        expect(items, key).toEqual([
          expect.objectContaining({
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] } },
          }),
        ]);
      }
    });

    it("lets each API function and the canary touch only the partitions its calls use: tenants', and the API keys', users' or sessions' where it needs them", () => {
      const itemStatements = (key: string) =>
        roleStatements(roleOf(key)).filter((s) =>
          asArray(s.Action).some((a) => a.startsWith('dynamodb:') && targetOf(asArray(s.Resource)[0]) === 'VigilTable'),
        );
      const like = (keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
      const tenantsOnly = like(['T#*']);
      // The functions whose calls reach beyond tenants' partitions: the key routes to API keys'
      // records, the console's sign-in to users' and its sign-out to sessions', the authorizer to all
      // three; the canary to its own tenant's item and probes.
      const beyondTenants: Record<string, unknown> = {
        authorizer: like(['K#*', 'T#*', 'S#*']),
        createApiKey: like(['T#*', 'K#*']),
        revokeApiKey: like(['T#*', 'K#*']),
        claimSessionTenant: like(['U#*', 'T#*']),
        revokeSession: like(['S#*']),
        canary: like([`T#${CANARY_TENANT_ID}`, `T#${CANARY_TENANT_ID}#*`]),
        canaryReceiver: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`T#${CANARY_TENANT_ID}`] } },
      };
      const held = [...API_ROUTES.map((r) => r.functionName), 'authorizer', 'canary'].filter(
        (key) => itemStatements(key).length > 0,
      );
      // An error path's cleanup, in a statement of its own on fewer partitions: createApiKey deletes the
      // authorizer's record it wrote (K#), the canary a probe it wrote (its shards).
      const narrower: Record<string, unknown[]> = {
        createApiKey: [expect.objectContaining({ Action: ['dynamodb:DeleteItem'], Condition: like(['K#*']) })],
        canary: [
          expect.objectContaining({ Action: ['dynamodb:DeleteItem'], Condition: like([`T#${CANARY_TENANT_ID}#*`]) }),
        ],
      };
      expect(held).toEqual(expect.arrayContaining(Object.keys(beyondTenants)));
      for (const key of held) {
        expect(itemStatements(key), key).toEqual([
          expect.objectContaining({ Condition: beyondTenants[key] ?? tenantsOnly }),
          ...(narrower[key] ?? []),
        ]);
      }
      // Only the layout check reads and writes the table unbounded: its Scan names no partition key.
      for (const key of FUNCTION_KEYS) {
        for (const statement of itemStatements(key)) {
          if (key === 'tableLayoutCheck') expect(statement.Condition, key).toBeUndefined();
          else expect(statement.Condition, key).toBeDefined();
        }
      }
    });

    it('passes the scheduler role, and nothing else, only to Scheduler', () => {
      for (const key of FUNCTION_KEYS) {
        for (const statement of roleStatements(roleOf(key)).filter((s) => asArray(s.Action).includes('iam:PassRole'))) {
          expect(asArray(statement.Resource).map(targetOf), key).toEqual(['SchedulerRole']);
          expect(statement.Condition, key).toEqual({
            StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
          });
        }
      }
    });

    it('allows no wildcard action and no wildcard resource anywhere in the template', () => {
      // Deny statements may use wildcards: serverless's deployment bucket denies s3:* without TLS.
      const allows = allStatements(template).filter((s) => s.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(FUNCTION_KEYS.length);
      for (const statement of allows) {
        for (const action of asArray(statement.Action)) expect(action, JSON.stringify(statement)).not.toMatch(/\*/);
        for (const target of asArray(statement.Resource ?? [])) expect(target, JSON.stringify(statement)).not.toBe('*');
      }
    });
  });

  describe('secrets', () => {
    it('holds no secret value: no function environment, output or parameter default carries the session secret', () => {
      // The deploying shell's NEXTAUTH_SECRET is nowhere, nor is the variable's name.
      expect(rawTemplate).not.toContain(SHELL_SECRET);
      expect(rawTemplate).not.toContain('NEXTAUTH_SECRET');
      for (const key of FUNCTION_KEYS) {
        const variables = resource(functionId(key)).Properties.Environment.Variables as Record<string, unknown>;
        for (const [name, value] of Object.entries(variables)) {
          expect(name, key).not.toMatch(/SECRET$/);
          expect(JSON.stringify(value), `${key} ${name}`).not.toContain(SHELL_SECRET);
        }
      }
      for (const [name, value] of Object.entries(template.Outputs)) {
        expect(JSON.stringify(value), name).not.toContain(SHELL_SECRET);
      }
      for (const [name, value] of Object.entries((template as { Parameters?: object }).Parameters ?? {})) {
        expect(JSON.stringify(value), name).not.toContain(SHELL_SECRET);
      }
    });

    it("publishes the session secret's parameter name, never its value, as a stack output", () => {
      expect(template.Outputs.SessionSecretParameterName?.Value).toBe(`/vigil/${STAGE}/session-secret`);
    });
  });

  describe('alarms', () => {
    const alarms = () => resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const alarmOn = (metricName: string) => {
      const found = alarms().filter((a) => a.MetricName === metricName);
      expect(found, metricName).toHaveLength(1);
      return found[0] as Record<string, any>;
    };
    const byStage = [{ Name: 'Stage', Value: STAGE }];

    it('notifies one stage topic, firing and clearing, with an e-mail subscription only when alarmEmail is set', () => {
      const [topicId, topic] = theOnly('AWS::SNS::Topic');
      expect(topic.Properties.TopicName).toBe(`vigil-${STAGE}-alarms`);
      expect(alarms()).toHaveLength(11);
      for (const alarm of alarms()) {
        expect(alarm.AlarmName).toMatch(new RegExp(`^vigil-${STAGE}-`));
        expect(alarm.AlarmActions.map(targetOf), alarm.AlarmName).toEqual([topicId]);
        expect(alarm.OKActions.map(targetOf), alarm.AlarmName).toEqual([topicId]);
      }
      const [, subscription] = theOnly('AWS::SNS::Subscription');
      expect(subscription.Properties.Protocol).toBe('email');
      expect(targetOf(subscription.Properties.TopicArn)).toBe(topicId);
      const condition = template.Conditions?.[subscription.Condition ?? ''];
      // alarmEmail defaults to '': the condition compares it with '' and is false.
      expect(condition).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [PARAM_DEFAULTS.alarmEmail, ''] }] });
    });

    it('fires as soon as a record is parked in any dead-letter queue: tickets, usage events, bulk job steps, bucket timers', () => {
      const parked = alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
      for (const alarm of parked) {
        expect(alarm).toMatchObject({
          Namespace: 'AWS/SQS',
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        });
      }
      const deadLetterQueues = resourcesOfType('AWS::SQS::Queue')
        .filter(([, queue]) => String(queue.Properties.QueueName).endsWith('-dlq'))
        .map(([id]) => id)
        .sort();
      expect(deadLetterQueues).toEqual([
        'DeliveryDeadLetterQueue',
        'JobDeadLetterQueue',
        'MeteringDeadLetterQueue',
        'SchedulerDeadLetterQueue',
      ]);
      expect(parked.map((a) => a.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(deadLetterQueues);
    });

    it('fires when the sweep or promote (the far path and the net under every message) fails two minutes of three', () => {
      const failing = alarms().filter((a) => a.MetricName === 'Errors');
      expect(failing.map((a) => targetOf(a.Dimensions[0].Value)).sort()).toEqual([
        'PromoteLambdaFunction',
        'SweepLambdaFunction',
      ]);
      for (const alarm of failing) {
        expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 60, EvaluationPeriods: 2 });
      }
    });

    /** An alarm at the first count of one of Vigil's own metrics in five minutes. */
    const firstCount = (name: string) => ({
      AlarmName: `vigil-${STAGE}-${name}`,
      Namespace: METRICS_NAMESPACE,
      Dimensions: byStage,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });

    it("fires when Scheduler refuses a bucket's schedule for its quota (schedules per account and region)", () => {
      expect(alarmOn(METRIC.bucketScheduleRefused)).toMatchObject(firstCount('scheduler-quota'));
    });

    it('fires when usage events could not be sent to the metering queue (not counted until replayed)', () => {
      expect(alarmOn(METRIC.usageEventsLost)).toMatchObject(firstCount('usage-lost'));
    });

    it('fires when p99 delivery lateness stays above latenessAlarmMs for three 5-minute periods', () => {
      expect(alarmOn(METRIC.deliveryLateness)).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        Dimensions: byStage,
        ExtendedStatistic: 'p99',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: latenessAlarmMs,
      });
    });

    it('fires when no canary probe arrives in 15 minutes, silence included', () => {
      expect(alarmOn(METRIC.canarySuccess)).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        Dimensions: byStage,
        Statistic: 'Sum',
        Period: 900,
        EvaluationPeriods: 1,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
    });

    it('fires when p99 canary lateness is above latenessAlarmMs over 15 minutes', () => {
      expect(alarmOn(METRIC.canaryLateness)).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        Dimensions: byStage,
        ExtendedStatistic: 'p99',
        Period: 900,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: latenessAlarmMs,
      });
    });
  });

  describe('web app sign-in (Cognito)', () => {
    it('signs people in by verified e-mail with a password policy', () => {
      const [, pool] = theOnly('AWS::Cognito::UserPool');
      expect(pool.Properties.UsernameAttributes).toEqual(['email']);
      expect(pool.Properties.AutoVerifiedAttributes).toEqual(['email']);
      expect(pool.Properties.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
    });

    it('gives the pool an account-unique hosted domain and next-auth a code-grant client with a secret', () => {
      const [poolId] = theOnly('AWS::Cognito::UserPool');
      const [, domain] = theOnly('AWS::Cognito::UserPoolDomain');
      expect(targetOf(domain.Properties.UserPoolId)).toBe(poolId);
      expect(domain.Properties.Domain).toEqual({ 'Fn::Sub': `vigil-${STAGE}-\${AWS::AccountId}` });
      const [, client] = theOnly('AWS::Cognito::UserPoolClient');
      expect(targetOf(client.Properties.UserPoolId)).toBe(poolId);
      expect(client.Properties).toMatchObject({
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        CallbackURLs: [{ 'Fn::Sub': ['${Origin}/api/auth/callback/cognito', { Origin: CONSOLE_ORIGIN }] }],
        LogoutURLs: [CONSOLE_ORIGIN],
      });
      expect([...client.Properties.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    });

    it('publishes the pool id, client id, issuer URL and domain as stack outputs', () => {
      const [poolId] = theOnly('AWS::Cognito::UserPool');
      const [clientId] = theOnly('AWS::Cognito::UserPoolClient');
      expect(targetOf(template.Outputs.UserPoolId?.Value)).toBe(poolId);
      expect(targetOf(template.Outputs.UserPoolClientId?.Value)).toBe(clientId);
      expect(template.Outputs.UserPoolIssuer?.Value).toEqual({
        'Fn::Sub': `https://cognito-idp.\${AWS::Region}.amazonaws.com/\${${poolId}}`,
      });
      expect(JSON.stringify(template.Outputs.UserPoolDomain?.Value)).toContain('amazoncognito.com');
    });
  });

  describe('web console (OpenNext on Lambda, assets in S3, behind CloudFront)', () => {
    const web = () => resource(functionId('web')).Properties;

    it('serves the console from one distribution: built files from the bucket, everything else from the server, uncached', () => {
      const [, distribution] = theOnly('AWS::CloudFront::Distribution');
      const config = distribution.Properties.DistributionConfig;
      const origins = Object.fromEntries(config.Origins.map((o: { Id: string }) => [o.Id, o]));
      // The server: the function URL's host, over HTTPS only.
      expect(origins.server.DomainName).toEqual({
        'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['WebFunctionUrl', 'FunctionUrl'] }] }],
      });
      expect(origins.server.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
      // The assets: the bucket, signed for by origin access control (no legacy access identity).
      expect(targetOf(origins.assets.DomainName)).toBe('WebAssetsBucket');
      expect(origins.assets.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
      expect(targetOf(origins.assets.OriginAccessControlId)).toBe('WebAssetsOriginAccessControl');

      const server = config.DefaultCacheBehavior;
      expect(server.TargetOriginId).toBe('server');
      // Uncached but compressed at the edge, which CachingDisabled would not be (infra/web.test.ts).
      expect(server.CachePolicyId).toEqual({ Ref: WEB_COMPRESSED_UNCACHED });
      expect(server.Compress).toBe(true);
      expect(server.OriginRequestPolicyId).toBe(CLOUDFRONT_POLICY.allViewerExceptHostHeader);
      // HSTS, no framing by another site, nosniff: the pages show signing secrets and new keys.
      expect(server.ResponseHeadersPolicyId).toBe(CLOUDFRONT_POLICY.securityHeaders);
      expect([...server.AllowedMethods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
      expect(server.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['WebForwardedHostFunction', 'FunctionARN'] } },
      ]);
      expect(config.CacheBehaviors).toEqual([
        expect.objectContaining({
          PathPattern: STATIC_ASSETS_PATH,
          TargetOriginId: 'assets',
          AllowedMethods: ['GET', 'HEAD'],
          CachePolicyId: CLOUDFRONT_POLICY.cachingOptimized,
        }),
      ]);
      for (const behavior of [server, ...config.CacheBehaviors])
        expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
      // The viewer's host reaches Next.js as x-forwarded-host (server actions check Origin against it).
      const [, forwardedHost] = theOnly('AWS::CloudFront::Function');
      expect(forwardedHost.Properties.FunctionCode).toContain("request.headers['x-forwarded-host']");
    });

    it('keeps the assets bucket private: public access blocked, readable by this distribution only', () => {
      // Besides serverless's own deployment bucket.
      const bucketId = 'WebAssetsBucket';
      const bucket = resource(bucketId);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      const policies = resourcesOfType('AWS::S3::BucketPolicy').filter(
        ([, p]) => targetOf(p.Properties.Bucket) === bucketId,
      );
      expect(policies).toHaveLength(1);
      const statements = allStatements(policies[0]?.[1].Properties.PolicyDocument);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${WebAssetsBucket}/*' },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': {
                'Fn::Sub': 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}',
              },
            },
          },
        },
      ]);
      const [, access] = theOnly('AWS::CloudFront::OriginAccessControl');
      expect(access.Properties.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
      expect(targetOf(template.Outputs.WebAssetsBucketName?.Value)).toBe(bucketId);
    });

    it('runs the server bundle on Node 22 behind a public function URL', () => {
      expect(web()).toMatchObject({
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        FunctionName: `vigil-${STAGE}-web`,
      });
      expect(web().Code.S3Key).toMatch(/\/server-function\.zip$/);
      const [, url] = theOnly('AWS::Lambda::Url');
      expect(url.Properties).toMatchObject({
        AuthType: 'NONE',
        TargetFunctionArn: { 'Fn::GetAtt': ['WebLambdaFunction', 'Arn'] },
      });
      // A public function URL needs both permissions since October 2025 (serverless 3 writes only the first).
      const permissions = resourcesOfType('AWS::Lambda::Permission')
        .map(([, p]) => p.Properties)
        .filter((p) => targetOf(p.FunctionName) === 'WebLambdaFunction');
      expect(permissions).toEqual([
        {
          FunctionName: { Ref: 'WebLambdaFunction' },
          Action: 'lambda:InvokeFunctionUrl',
          Principal: '*',
          FunctionUrlAuthType: 'NONE',
        },
        {
          FunctionName: { Ref: 'WebLambdaFunction' },
          Action: 'lambda:InvokeFunction',
          Principal: '*',
          InvokedViaFunctionUrl: true,
        },
      ]);
    });

    it("gives the server the stack's settings, and of its secrets only names: the parameter and the Cognito client", () => {
      const variables = web().Environment.Variables as Record<string, unknown>;
      const [poolId] = theOnly('AWS::Cognito::UserPool');
      const [, client] = theOnly('AWS::Cognito::UserPoolClient');
      expect(variables).toEqual({
        VIGIL_API_URL: template.Outputs.ApiUrl?.Value,
        VIGIL_STAGE: STAGE,
        VIGIL_SESSION_SECRET_PARAMETER: `/vigil/${STAGE}/session-secret`,
        COGNITO_ISSUER: template.Outputs.UserPoolIssuer?.Value,
        COGNITO_USER_POOL_ID: { Ref: poolId },
        COGNITO_CLIENT_NAME: client.Properties.ClientName,
        NEXT_TELEMETRY_DISABLED: '1',
      });
      // Its role: its log group, the session secret's parameter, and its own pool's app clients.
      const statements = roleStatements(roleOf('web'));
      expect(actionsOf(statements)).toEqual([
        'cognito-idp:DescribeUserPoolClient',
        'cognito-idp:ListUserPoolClients',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ssm:GetParameter',
      ]);
      const resourcesOf = (prefix: string) =>
        statements
          .filter((s) => asArray(s.Action).some((a) => a.startsWith(prefix)))
          .flatMap((s) => asArray(s.Resource));
      expect(resourcesOf('ssm:')).toEqual([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/vigil/${STAGE}/session-secret`,
        },
      ]);
      expect(resourcesOf('cognito-idp:').map(targetOf)).toEqual([poolId]);
    });

    it("makes the console's origin its URL, Cognito's callback and logout URLs, and the API's CORS origin", () => {
      expect(template.Outputs.ConsoleUrl?.Value).toEqual(CONSOLE_ORIGIN);
      // Empty webOrigin (the default): the distribution's domain, and the default certificate.
      expect(template.Conditions?.HasCustomWebOrigin).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
      const config = theOnly('AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
      expect(config.ViewerCertificate['Fn::If'][2]).toEqual({ CloudFrontDefaultCertificate: true });
      for (const key of FUNCTION_KEYS) {
        expect(resource(functionId(key)).Properties.Environment.Variables.VIGIL_WEB_ORIGIN, key).toEqual(
          CONSOLE_ORIGIN,
        );
      }
      // Cognito's callback and logout URLs, and the preflights: the tests of the API and of Cognito above.
      expect(rawTemplate).not.toContain('vigil-console-origin');
    });

    it("zips the server within Lambda's limits and its own budget, and leaves the assets for the bucket", async () => {
      // serverless uploads it from where infra/web-build.ts wrote it (its package.artifact).
      const zipped = (await stat(join(root, WEB_SERVER_ZIP))).size;
      const unzipped = await sizeOfTree(join(root, WEB_BUILD_DIR, 'server-functions', 'default'));
      expect(zipped).toBeLessThanOrEqual(Math.min(LAMBDA_MAX_ZIP_BYTES, WEB_MAX_ZIP_BYTES));
      expect(unzipped).toBeLessThanOrEqual(Math.min(LAMBDA_MAX_UNZIPPED_BYTES, WEB_MAX_UNZIPPED_BYTES));
      // What serverless-s3-sync uploads after a deploy: Next.js's built files, under the path the distribution serves.
      expect((await readdir(join(root, WEB_ASSETS_DIR, '_next', 'static'))).length).toBeGreaterThan(0);
    });
  });

  describe('bundles', () => {
    it('builds one zip per function, each at most 1 MB', async () => {
      const sizes: Record<string, number> = {};
      for (const key of FUNCTION_KEYS) {
        const artifact = resource(functionId(key)).Properties.Code.S3Key as string;
        expect(artifact.endsWith(`/${key}.zip`), artifact).toBe(true);
        sizes[key] = (await stat(join(packageDir, `${key}.zip`))).size;
      }
      const oversized = Object.entries(sizes).filter(([, bytes]) => bytes > MAX_ZIP_BYTES);
      expect(oversized, JSON.stringify(sizes)).toEqual([]);
    });
  });
});
