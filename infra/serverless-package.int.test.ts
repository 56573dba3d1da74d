/**
 * The deployment, packaged offline: `npm run package -- --stage ci` builds every function bundle
 * and the CloudFormation template without an AWS account (fake credentials), and the template is
 * read for what the architecture promises: the table, the queues, the far-path timer, one API
 * method per route behind the authorizer, and one least-privilege role per function.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INDEX, TTL_ATTRIBUTE } from '@vigil/aws/table-definition';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAGE = 'ci';
const PACKAGE_TIMEOUT_MS = 240_000;
const MAX_ZIP_BYTES = 5 * 1024 * 1024;

const Template = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Properties: z.record(z.string(), z.any()).default({}),
      DependsOn: z.any().optional(),
    }),
  ),
  Outputs: z.record(z.string(), z.object({ Value: z.any() }).loose()),
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

/** Every function key the deployment must have: one per route, plus the engine. */
const FUNCTION_KEYS = [...API_ROUTES.map((r) => r.functionName), 'authorizer', 'deliver', 'promote', 'sweep'];

/** serverless's logical id for a function key: `createMessage` → `CreateMessageLambdaFunction`. */
const functionId = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;

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

const roleStatements = (role: Resource): Statement[] => allStatements(role.Properties.Policies);

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
      const indexes = (table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>).map((i) => i.IndexName);
      expect(indexes.sort()).toEqual(Object.values(INDEX).sort());
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

    it('hides a received ticket for at least six times the deliver timeout', () => {
      const deliverTimeout = resource(functionId('deliver')).Properties.Timeout as number;
      expect(resource('DeliveryQueue').Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * deliverTimeout);
    });

    it('feeds the delivery queue to deliver in batches of ten, retrying only the tickets that failed', () => {
      const [, mapping] = theOnly('AWS::Lambda::EventSourceMapping');
      expect(targetOf(mapping.Properties.EventSourceArn)).toBe('DeliveryQueue');
      expect(targetOf(mapping.Properties.FunctionName)).toBe(functionId('deliver'));
      expect(mapping.Properties.BatchSize).toBe(10);
      expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBe(0);
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });
  });

  describe('API', () => {
    it('serves exactly the routes in API_ROUTES, each by its own function', () => {
      const methods = resourcesOfType('AWS::ApiGateway::Method')
        .map(([, m]) => m.Properties)
        .filter((m) => m.HttpMethod !== 'OPTIONS');
      const served = methods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}`).sort();
      expect(served).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      for (const route of API_ROUTES) {
        const method = methods.find((m) => m.HttpMethod === route.method && pathOf(m.ResourceId) === route.path);
        expect(JSON.stringify(method?.Integration.Uri), route.path).toContain(`"${functionId(route.functionName)}"`);
        expect(method?.Integration.Type).toBe('AWS_PROXY');
      }
    });

    it('asks a REQUEST authorizer, cached for at most a minute, about every route but /health', () => {
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
  });

  describe('engine', () => {
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
      expect(actionsOf(statements)).toEqual(['lambda:InvokeFunction']);
      const promoteName = resource(functionId('promote')).Properties.FunctionName;
      expect(promoteName).toBe(`vigil-${STAGE}-promote`);
      expect(JSON.stringify(statements[0]?.Resource)).toMatch(new RegExp(`:function:${promoteName}"`));

      for (const key of FUNCTION_KEYS) {
        const env = resource(functionId(key)).Properties.Environment.Variables;
        expect(targetOf(env.VIGIL_SCHEDULE_GROUP), key).toBe(groupId);
        expect(targetOf(env.VIGIL_SCHEDULER_ROLE_ARN), key).toBe('SchedulerRole');
        expect(JSON.stringify(env.VIGIL_PROMOTE_ARN), key).toMatch(new RegExp(`:function:${promoteName}"`));
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
        expect(fn.Environment.Variables.VIGIL_ALLOW_PRIVATE_TARGETS, key).toBe('false');
      }
      expect(
        resourcesOfType('AWS::Lambda::Function')
          .map(([id]) => id)
          .sort(),
      ).toEqual(FUNCTION_KEYS.map(functionId).sort());
      for (const [id, group] of resourcesOfType('AWS::Logs::LogGroup'))
        expect(group.Properties.RetentionInDays, id).toBe(30);
    });
  });

  describe('IAM: least privilege, per function', () => {
    const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const DISPATCH = ['sqs:SendMessage', 'scheduler:CreateSchedule', 'iam:PassRole'];
    /** What each function's code does (store, queue, timer), and so all its role may allow. */
    const EXPECTED_ACTIONS: Record<string, string[]> = {
      health: [],
      createMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', ...DISPATCH],
      createMessageBatch: ['dynamodb:PutItem', ...DISPATCH],
      listMessages: ['dynamodb:Query'],
      getMessage: ['dynamodb:GetItem'],
      updateMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', ...DISPATCH],
      cancelMessage: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      listAttempts: ['dynamodb:GetItem'],
      redeliverMessage: ['dynamodb:GetItem', 'dynamodb:PutItem', ...DISPATCH],
      getSigningSecret: ['dynamodb:GetItem'],
      authorizer: ['dynamodb:GetItem'],
      deliver: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        ...DISPATCH,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ChangeMessageVisibility',
      ],
      promote: ['dynamodb:Query', 'sqs:SendMessage'],
      sweep: ['dynamodb:Query', 'sqs:SendMessage'],
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
      expect(indexesQueriedBy('sweep')).toEqual([INDEX.pending]);
      expect(indexesQueriedBy('listMessages')).toEqual([INDEX.byStatus]);
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

  describe('bundles', () => {
    it('builds one zip per function, each under 5 MB', async () => {
      const sizes: Record<string, number> = {};
      for (const key of FUNCTION_KEYS) {
        const artifact = resource(functionId(key)).Properties.Code.S3Key as string;
        expect(artifact.endsWith(`/${key}.zip`), artifact).toBe(true);
        sizes[key] = (await stat(join(packageDir, `${key}.zip`))).size;
      }
      const oversized = Object.entries(sizes).filter(([, bytes]) => bytes >= MAX_ZIP_BYTES);
      expect(oversized, JSON.stringify(sizes)).toEqual([]);
    });
  });
});
