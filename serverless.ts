/**
 * The whole AWS deployment of one stage (`--stage`, default dev; `--region`, default us-east-1),
 * assembled from infra/: the table, the delivery queue and its dead-letter queue, the far-path
 * schedule group and the role Scheduler invokes promote with, and the functions (API behind a
 * REQUEST authorizer, deliver, promote, sweep), each with its own least-privilege role.
 * See ARCHITECTURE.md for how the pieces work together.
 *
 *   npm run package -- --stage ci      (offline: builds the bundles and the template)
 *   npx serverless deploy --stage prod
 */
import type { CfnValue, Outputs, Resources } from './infra/cloudformation';
import { sub } from './infra/cloudformation';
import type { FunctionDefinition } from './infra/functions';
import {
  DELIVER_TIMEOUT_S,
  functionDefinitions,
  functionEnvironment,
  functionRoleResources,
  PROMOTE,
} from './infra/functions';
import { lambdaArn, SERVICE, STAGE } from './infra/names';
import { deliveryDeadLetterQueueUrl, deliveryQueueUrl, queueResources } from './infra/queues';
import { schedulerResources } from './infra/scheduler';
import { tableName, tableResources } from './infra/tables';

interface ServerlessConfiguration {
  service: string;
  frameworkVersion: '3';
  configValidationMode: 'error' | 'warn' | 'off';
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
    apiGateway: { shouldStartNameWithService: boolean };
    environment: Record<string, CfnValue>;
  };
  package: { individually: boolean };
  custom: { esbuild: Record<string, unknown> };
  functions: Record<string, FunctionDefinition>;
  resources: { Resources: Resources; Outputs: Outputs };
}

const configuration: ServerlessConfiguration = {
  service: SERVICE,
  frameworkVersion: '3',
  // serverless 3 does not know nodejs22.x yet and would refuse it; it only warns in this mode.
  configValidationMode: 'warn',
  plugins: ['serverless-esbuild'],
  provider: {
    name: 'aws',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    stage: `\${opt:stage, 'dev'}`,
    region: `\${opt:region, 'us-east-1'}`,
    memorySize: 512,
    logRetentionInDays: 30,
    versionFunctions: false,
    apiGateway: { shouldStartNameWithService: true },
    environment: functionEnvironment(),
  },
  package: { individually: true },
  custom: {
    esbuild: {
      bundle: true,
      minify: true,
      sourcemap: true,
      keepNames: true,
      // One bundle that runs on the local Node 20 and on Lambda's Node 22.
      target: 'node20',
      platform: 'node',
      // ESM builds first: the AWS SDK tree-shakes far better from them.
      mainFields: ['module', 'main'],
      // Bundle the SDK too: the copy in the Lambda runtime is whatever version AWS ships.
      exclude: [],
    },
  },
  functions: functionDefinitions(),
  resources: {
    Resources: {
      ...tableResources(),
      ...queueResources({ timeoutS: DELIVER_TIMEOUT_S }),
      ...schedulerResources({ promoteArn: lambdaArn(PROMOTE) }),
      ...functionRoleResources(),
    },
    Outputs: {
      ApiUrl: {
        Description: 'Base URL of the REST API',
        Value: sub(`https://\${ApiGatewayRestApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${STAGE}`),
      },
      TableName: { Description: 'The DynamoDB table', Value: tableName },
      DeliveryQueueUrl: { Description: 'The delivery queue', Value: deliveryQueueUrl },
      DeliveryDeadLetterQueueUrl: {
        Description: "The delivery queue's dead-letter queue",
        Value: deliveryDeadLetterQueueUrl,
      },
    },
  },
};

module.exports = configuration;
