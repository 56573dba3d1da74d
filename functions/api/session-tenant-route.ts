/**
 * The one route a console session without a tenant may call: the console's server claims the
 * signed-in user's tenant here at first sign-in (made then, found after). Apart from the route
 * table so that the authorizer can name it without bundling every handler.
 */
export const SESSION_TENANT_ROUTE = { method: 'POST', path: '/v1/session/tenant' } as const;
