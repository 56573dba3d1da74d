import { runtime } from '@vigil/aws';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const [secret] = await runtime().tenants.signingSecrets(tenantId);
  return { status: 200, body: { secret } };
});
