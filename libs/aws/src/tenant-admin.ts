/**
 * The clients behind tenant administration, built where tenants are made: the operator's shell
 * (`npm run admin`), the web app's server (first sign-in) and the local stack. No Lambda needs
 * them, so they stay out of `runtime()` and out of the function bundles.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayUsagePlanBinder } from './api-gateway-usage-plans';
import { ConfigError, readUsagePlanConfig } from './config';
import { DynamoTenantStore } from './dynamo-tenant-store';
import { TenantProvisioner } from './tenant-provisioning';

export interface TenantAdminOptions {
  region: string;
  table: string;
  /** A local DynamoDB (dynalite); AWS's when absent. */
  dynamoEndpoint?: string;
  /** Bind new tenants to the usage plans `vigil-<plan>-<stage>` (endpoint: a local emulator). */
  usagePlans?: { stage: string; endpoint?: string };
}

export interface TenantAdmin {
  store: DynamoTenantStore;
  provisioner: TenantProvisioner;
  /** The stage whose usage plans new tenants join, when they join any. */
  usagePlanStage?: string;
  close(): void;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const openTenantAdmin = (options: TenantAdminOptions): TenantAdmin => {
  const { region } = options;
  const at = (endpoint: string | undefined) =>
    endpoint ? { region, endpoint, credentials: localCredentials } : { region };
  const dynamo = new DynamoDBClient(at(options.dynamoEndpoint));
  const db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoTenantStore(db, options.table);
  const apiGateway = options.usagePlans && new APIGatewayClient(at(options.usagePlans.endpoint));
  const binder = options.usagePlans && new ApiGatewayUsagePlanBinder(options.usagePlans.stage, apiGateway!);
  return {
    store,
    provisioner: new TenantProvisioner(db, options.table, store, binder),
    usagePlanStage: options.usagePlans?.stage,
    close() {
      dynamo.destroy();
      apiGateway?.destroy();
    },
  };
};

/**
 * From the environment: VIGIL_TABLE, AWS_REGION, VIGIL_DYNAMODB_ENDPOINT (local), and with
 * VIGIL_USAGE_PLANS=on, VIGIL_STAGE (whose usage plans tenants join) and VIGIL_APIGATEWAY_ENDPOINT (local).
 */
export const tenantAdminFromEnv = (env: NodeJS.ProcessEnv = process.env): TenantAdmin => {
  const table = env.VIGIL_TABLE;
  const region = env.AWS_REGION;
  if (!table || !region) throw new ConfigError('Tenant administration needs VIGIL_TABLE and AWS_REGION.');
  const usagePlans = readUsagePlanConfig(env);
  if (usagePlans.enabled && !env.VIGIL_STAGE) {
    throw new ConfigError(
      'VIGIL_USAGE_PLANS=on needs VIGIL_STAGE: the stage whose usage plans (vigil-<plan>-<stage>) tenants join.',
    );
  }
  return openTenantAdmin({
    region,
    table,
    dynamoEndpoint: env.VIGIL_DYNAMODB_ENDPOINT,
    ...(usagePlans.enabled && {
      usagePlans: { stage: env.VIGIL_STAGE as string, endpoint: usagePlans.endpoint },
    }),
  });
};
