/**
 * The tenant-provisioning code from libs/aws, as the web app's sign-in uses it: a user's first
 * sign-in makes their tenant (the same path as `npm run admin -- tenant create`), with its API
 * Gateway key in the plan's usage plan where VIGIL_USAGE_PLANS is on.
 */
import type { TenantProvisioner } from '@vigil/aws/tenant-provisioning';
import { tenantAdminFromEnv } from '@vigil/aws/tenant-admin';

let provisioner: TenantProvisioner | undefined;

export const tenantProvisioner = (): TenantProvisioner => {
  provisioner ??= tenantAdminFromEnv(process.env).provisioner;
  return provisioner;
};
