/**
 * Tenancy's ports for where tenants are administered outside the functions: the operator's shell
 * (`npm run admin`) and the local stack. They run the same use cases (@vigil/core) as the API.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoredEventDeps, TenancyDeps } from '@vigil/core';
import { DEFAULT_ENGINE_SETTINGS } from '@vigil/core';
import { ApiGatewayUsagePlanBinder } from './api-gateway-usage-plans';
import { ConfigError, readUsagePlanConfig } from './config';
import { documentClient } from './dynamo-document-client';
import { DynamoMessageStore } from './dynamo-message-store';
import { DynamoNotificationEndpoints } from './dynamo-notification-endpoints';
import { DynamoTenantStore } from './dynamo-tenant-store';
import { createLogger } from './logger';
import { systemClock } from './system-clock';
import { recordedTableLayout } from './table-layout';

export interface TenantAdminOptions {
  region: string;
  table: string;
  /** A local DynamoDB (dynalite); AWS's when absent. */
  dynamoEndpoint?: string;
  /** Bind new tenants to the usage plans `vigil-<plan>-<stage>` (endpoint: a local emulator). */
  usagePlans?: { stage: string; endpoint?: string };
}

export interface TenantAdmin {
  /**
   * Tenancy's ports for tenants and keys, with the usage-plan binder when there are usage plans. No
   * usage ledger: its keys depend on the stage's tenant shards, which the operator's shell does not
   * know (a ledger here would read and write the wrong keys); a command that needs usage wires it.
   */
  tenancy: Omit<TenancyDeps, 'ledger'>;
  /** The DynamoDB adapter behind the ports (listeners for revocations). */
  store: DynamoTenantStore;
  /** The stage whose usage plans new tenants join, when they join any. */
  usagePlanStage?: string;
  /**
   * Where an account event (an operator's `key revoke`) goes from here: the tenants' notification
   * endpoints and the message store, under the shard layout the table records (keepTableLayout);
   * stored only, for the running engine's sweep to send (StoredEventDeps: no queue here). Undefined
   * when the table records no layout: where its messages belong is not known, and none is stored.
   */
  accountEvents(): Promise<StoredEventDeps | undefined>;
  close(): void;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const openTenantAdmin = (options: TenantAdminOptions): TenantAdmin => {
  const { region } = options;
  const at = (endpoint: string | undefined) =>
    endpoint ? { region, endpoint, credentials: localCredentials } : { region };
  const dynamo = new DynamoDBClient(at(options.dynamoEndpoint));
  const db = documentClient(dynamo);
  const store = new DynamoTenantStore(db, options.table, () => systemClock.now());
  const apiGateway = options.usagePlans && new APIGatewayClient(at(options.usagePlans.endpoint));
  const usagePlans = options.usagePlans && new ApiGatewayUsagePlanBinder(options.usagePlans.stage, apiGateway);
  const log = createLogger('warn', { service: 'vigil-admin' });
  const now = () => systemClock.now();
  return {
    tenancy: {
      tenants: store,
      keys: store,
      users: store,
      sessions: store,
      clock: systemClock,
      log,
      ...(usagePlans && { usagePlans }),
    },
    store,
    usagePlanStage: options.usagePlans?.stage,
    async accountEvents() {
      const layout = await recordedTableLayout(db, options.table);
      if (!layout) return undefined;
      return {
        store: new DynamoMessageStore(db, options.table, layout, now),
        endpoints: new DynamoNotificationEndpoints(db, options.table, now),
        clock: systemClock,
        // An account event is due at once, so it is queued whatever the stage's near window: the
        // engine's settings are not needed to place it.
        settings: DEFAULT_ENGINE_SETTINGS,
        log,
      };
    },
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
