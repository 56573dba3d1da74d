/**
 * POST /v1/session/revoke: the console's sign-out. The calling session is revoked until it would
 * have ended; the API refuses its token from then on (at once locally, within the authorizer
 * cache's 60 s on AWS). Only a console session may call it, for itself.
 */
import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { revokeSession, UnauthorizedError } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ session }) => {
  if (!session)
    throw new UnauthorizedError(
      'Only a console session can sign out; an API key is revoked with DELETE /v1/keys/{keyId}.',
    );
  await revokeSession(tenancyWiring().tenancy, session);
  return { status: 204 };
});
