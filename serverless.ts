/**
 * The whole AWS deployment of one stage (`--stage`, default dev; `--region`, default us-east-1),
 * assembled from infra/: the table, the delivery, metering and bulk-job queues with their
 * dead-letter queues, the far-path schedule group and the role Scheduler invokes promote with (and
 * its dead-letter queue), the functions (API behind a REQUEST authorizer, deliver, promote, sweep,
 * canary, metering, bulkJobs, the layout check), each with its own least-privilege role, the
 * REST API's usage plans, CORS and problem+json refusals, the alarms, and the web console (OpenNext
 * on Lambda, S3 and CloudFront) with its Cognito sign-in. Parameters (infra/params.ts) are overridden per deploy with --param.
 * See ARCHITECTURE.md for how the pieces work together.
 *
 *   npm run package -- --stage ci      (offline: builds the console, the bundles and the template)
 *   npx serverless deploy --stage prod  (prints the console's URL: output ConsoleUrl)
 */
import { alarmConditions, alarmResources } from './infra/alarms';
import type { ApiGatewaySettings } from './infra/api';
import { apiGatewaySettings, apiUrl, gatewayResponseResources, usagePlanOutputs } from './infra/api';
import { authOutputs, authResources } from './infra/auth';
import type { CfnResource, Conditions, Outputs, Resources } from './infra/cloudformation';
import { consoleOriginConditions } from './infra/console-origin';
import type { FunctionDefinition } from './infra/functions';
import { DEFAULT_MEMORY_MB, FUNCTIONS, functionDefinitions, functionRoleResources, PROMOTE } from './infra/functions';
import { lambdaArn, SERVICE, SESSION_SECRET_PARAMETER } from './infra/names';
import { DELIVERY_QUEUE_SETTINGS, JOB_QUEUE_SETTINGS, METERING_QUEUE_SETTINGS } from './libs/aws/src/queue-settings';
import { PARAM_DEFAULTS } from './infra/params';
import { deliveryDeadLetterQueueUrl, deliveryQueueUrl, queueResources } from './infra/queues';
import { schedulerResources } from './infra/scheduler';
import { tableName, tableResources } from './infra/tables';
import { afterTableLayoutCheck, tableLayoutCheckResources } from './infra/table-layout-check';
import { WEB, webAssetsSync, webConsoleResources, webFunctionDefinition, webOutputs } from './infra/web';

interface ServerlessConfiguration {
  service: string;
  frameworkVersion: '3';
  configValidationMode: 'error' | 'warn' | 'off';
  params: { default: Record<string, string | number> };
  plugins: string[];
  provider: {
    name: 'aws';
    runtime: `nodejs${number}.x`;
    architecture: 'arm64' | 'x86_64';
    stage: string;
    region: string;
    memorySize: number;
    logRetentionInDays: number;
    versionFunctions: boolean;
    apiGateway: ApiGatewaySettings;
  };
  package: { individually: boolean };
  custom: { esbuild: Record<string, unknown>; s3Sync: Array<Record<string, unknown>> };
  functions: Record<string, FunctionDefinition>;
  resources: {
    Conditions: Conditions;
    Resources: Resources;
    Outputs: Outputs;
    /** Attributes added to resources serverless generates (its functions). */
    extensions: Record<string, Partial<CfnResource>>;
  };
}

const configuration: ServerlessConfiguration = {
  service: SERVICE,
  frameworkVersion: '3',
  // serverless 3 does not know nodejs22.x yet and would refuse it; it only warns in this mode.
  configValidationMode: 'warn',
  params: { default: PARAM_DEFAULTS },
  // Local plugins: the console built before packaging, a 405 for a method a route's path does not
  // take, the console's origin in the API's CORS preflights and refusals, the API deployment
  // ordered after the gateway responses (see each file).
  // serverless-s3-sync uploads the console's assets after each deploy (and empties their bucket
  // on remove).
  plugins: [
    './infra/web-build-plugin',
    'serverless-esbuild',
    './infra/method-not-allowed-plugin',
    './infra/console-origin-plugin',
    './infra/api-deployment-order',
    'serverless-s3-sync',
  ],
  provider: {
    name: 'aws',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    stage: `\${opt:stage, 'dev'}`,
    region: `\${opt:region, 'us-east-1'}`,
    memorySize: DEFAULT_MEMORY_MB,
    logRetentionInDays: 30,
    versionFunctions: false,
    apiGateway: apiGatewaySettings(),
  },
  package: { individually: true },
  custom: {
    esbuild: {
      bundle: true,
      minify: true,
      // No source maps: they doubled the zips. keepNames keeps stack traces readable.
      sourcemap: false,
      keepNames: true,
      // One bundle that runs on the local Node 20 and on Lambda's Node 22.
      target: 'node20',
      platform: 'node',
      // ESM builds first: the AWS SDK tree-shakes far better from them.
      mainFields: ['module', 'main'],
      // Bundle the SDK too: the copy in the Lambda runtime is whatever version AWS ships.
      exclude: [],
    },
    s3Sync: webAssetsSync(),
  },
  functions: { ...functionDefinitions(), [WEB]: webFunctionDefinition() },
  resources: {
    Conditions: { ...alarmConditions(), ...consoleOriginConditions() },
    Resources: {
      ...tableResources(),
      ...tableLayoutCheckResources(),
      ...queueResources({
        delivery: DELIVERY_QUEUE_SETTINGS,
        metering: METERING_QUEUE_SETTINGS,
        jobs: JOB_QUEUE_SETTINGS,
      }),
      ...schedulerResources({ promoteArn: lambdaArn(PROMOTE) }),
      ...functionRoleResources(),
      ...gatewayResponseResources(),
      ...alarmResources(),
      ...authResources(),
      ...webConsoleResources('app'),
    },
    // Every Vigil function waits for the table's layout check (infra/table-layout-check.ts).
    extensions: afterTableLayoutCheck(FUNCTIONS.map((f) => f.key)),
    Outputs: {
      ApiUrl: {
        Description: 'Base URL of the REST API',
        Value: apiUrl,
      },
      TableName: { Description: 'The DynamoDB table', Value: tableName },
      DeliveryQueueUrl: { Description: 'The delivery queue', Value: deliveryQueueUrl },
      DeliveryDeadLetterQueueUrl: {
        Description: "The delivery queue's dead-letter queue",
        Value: deliveryDeadLetterQueueUrl,
      },
      SessionSecretParameterName: {
        Description:
          "The SSM SecureString parameter holding the web app's session secret (its name only; create it once: README, Deploy)",
        Value: SESSION_SECRET_PARAMETER,
      },
      ...usagePlanOutputs(),
      ...authOutputs(),
      ...webOutputs(),
    },
  },
};

module.exports = configuration;
