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

/** Cognito sign-in, when the deployment gives the app its client. */
export const cognitoSettings = () => {
  const { COGNITO_CLIENT_ID, COGNITO_CLIENT_SECRET, COGNITO_ISSUER } = process.env;
  return COGNITO_CLIENT_ID && COGNITO_ISSUER
    ? { clientId: COGNITO_CLIENT_ID, clientSecret: COGNITO_CLIENT_SECRET ?? '', issuer: COGNITO_ISSUER }
    : undefined;
};
