/** The web app's settings, read from the environment on the server (README: Web app). */

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`The web app needs ${name} in its environment (the local stack sets it).`);
  return value;
};

export const webConfig = () => ({
  /** Where the app calls the Vigil API from its server. */
  apiUrl: required('VIGIL_API_URL').replace(/\/$/, ''),
  /** The API's address as users reach it (quickstart commands); the same as apiUrl unless set. */
  publicApiUrl: (process.env.VIGIL_PUBLIC_API_URL ?? required('VIGIL_API_URL')).replace(/\/$/, ''),
});

/**
 * The development sign-in (any email, no password) exists only where the local stack turns it
 * on, and never on a deployed stage, whatever else is set.
 */
export const devSignInEnabled = (): boolean =>
  process.env.VIGIL_DEV_SIGN_IN === 'on' && (process.env.VIGIL_STAGE ?? 'local') === 'local';

/** Cognito sign-in given in full by the environment (a console run by hand on any Node host). */
export const cognitoSettings = () => {
  const { COGNITO_CLIENT_ID, COGNITO_CLIENT_SECRET, COGNITO_ISSUER } = process.env;
  return COGNITO_CLIENT_ID && COGNITO_ISSUER
    ? { clientId: COGNITO_CLIENT_ID, clientSecret: COGNITO_CLIENT_SECRET ?? '', issuer: COGNITO_ISSUER }
    : undefined;
};

/**
 * Where the console deployed by `serverless deploy` finds what it may not be given as values
 * (infra/web.ts): the names of its session secret's SSM parameter and of its Cognito app client.
 * Undefined elsewhere: the local stack and a console run by hand give NEXTAUTH_SECRET and Cognito.
 */
export const deployedSettings = () => {
  const { VIGIL_SESSION_SECRET_PARAMETER } = process.env;
  if (!VIGIL_SESSION_SECRET_PARAMETER) return undefined;
  return {
    sessionSecretParameter: VIGIL_SESSION_SECRET_PARAMETER,
    userPoolId: required('COGNITO_USER_POOL_ID'),
    clientName: required('COGNITO_CLIENT_NAME'),
    issuer: required('COGNITO_ISSUER'),
  };
};

/** next-auth's secret where the environment gives it (the local stack; a console run by hand). */
export const sessionSecretFromEnv = (): string => required('NEXTAUTH_SECRET');

/**
 * next-auth reads the console's own URL from NEXTAUTH_URL at each request; a deployed console
 * learns it at cold start (from its Cognito client), after the environment was made.
 */
export const setConsoleUrl = (origin: string): void => {
  process.env.NEXTAUTH_URL = origin;
};
