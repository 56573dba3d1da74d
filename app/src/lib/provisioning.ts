/**
 * The tenant-provisioning code from libs/aws, as the web app's sign-in uses it: a user's first
 * sign-in makes their tenant (the same path as `npm run admin -- tenant create`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore } from '@vigil/aws/dynamo-tenant-store';
import { TenantProvisioner } from '@vigil/aws/tenant-provisioning';

let provisioner: TenantProvisioner | undefined;

export const tenantProvisioner = (): TenantProvisioner => {
  if (provisioner) return provisioner;
  const table = process.env.VIGIL_TABLE;
  if (!table) throw new Error('The web app needs VIGIL_TABLE to make tenants at sign-in.');
  const endpoint = process.env.VIGIL_DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint && { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  provisioner = new TenantProvisioner(db, table, new DynamoTenantStore(db, table));
  return provisioner;
};
