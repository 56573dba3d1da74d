/**
 * Tenancy with the usage-plan binder: for where tenants are made in a function (the console's
 * first sign-in, POST /v1/session/tenant). With VIGIL_USAGE_PLANS=on, new tenants get their API
 * Gateway key in their plan's usage plan `vigil-<plan>-<VIGIL_STAGE>`; only this function carries
 * the API Gateway client.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { TenancyDeps } from '@vigil/core';
import { ApiGatewayUsagePlanBinder } from '../api-gateway-usage-plans';
import { readUsagePlanConfig } from '../config';
import { part } from './base';
import { tenancyWiring } from './tenancy';

export const provisioningWiring = (): { tenancy: TenancyDeps } =>
  part('provisioning', (b) => {
    const { tenancy } = tenancyWiring();
    const usagePlans = readUsagePlanConfig(b.env);
    if (!usagePlans.enabled) return { tenancy };
    const client = new APIGatewayClient(b.clientOptions(usagePlans.endpoint));
    b.onClose(() => client.destroy());
    return { tenancy: { ...tenancy, usagePlans: new ApiGatewayUsagePlanBinder(b.config.stage, client) } };
  });
