/**
 * POST /v1/session/tenant: the signed-in console user's tenant, made at their first sign-in (plan
 * free, with its usage-plan key where there are usage plans) and the same one ever after. Only the
 * console's server calls it, with a session token for the user (see authorizer.ts).
 */
import { provisioningWiring } from '@vigil/aws/wiring/provisioning';
import { tenantForUser, UnauthorizedError } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ caller: 'session-user' }, async ({ user }) => {
  if (!user) throw new UnauthorizedError("This route needs a console user's session.");
  const tenant = await tenantForUser(provisioningWiring().tenancy, user);
  return { status: 200, body: { id: tenant.id, name: tenant.name, plan: tenant.plan } };
});
