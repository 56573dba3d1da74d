/** The console's settings: read from the environment once, refused at start with the variable named. */
import { describe, expect, it } from 'vitest';
import { ConsoleConfigError, readConsoleConfig } from './config';

const LOCAL = {
  VIGIL_API_URL: 'http://127.0.0.1:4000/',
  NEXTAUTH_SECRET: 'a-session-secret-of-some-length',
  NEXTAUTH_URL: 'http://localhost:3000',
  VIGIL_DEV_SIGN_IN: 'on',
};

const DEPLOYED = {
  VIGIL_API_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  VIGIL_STAGE: 'prod',
  VIGIL_SESSION_SECRET_PARAMETER: '/vigil/prod/session-secret',
  COGNITO_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool',
  COGNITO_USER_POOL_ID: 'eu-west-1_pool',
  COGNITO_CLIENT_NAME: 'vigil-prod-web',
};

const refusal = (env: Record<string, string | undefined>): string => {
  try {
    readConsoleConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConsoleConfigError);
    return (error as Error).message;
  }
  throw new Error('the settings were accepted');
};

describe('the console settings', () => {
  describe('as the local stack gives them', () => {
    it('name the API, the same for users, the session secret and the development sign-in', () => {
      expect(readConsoleConfig(LOCAL)).toEqual({
        apiUrl: 'http://127.0.0.1:4000',
        publicApiUrl: 'http://127.0.0.1:4000',
        devSignIn: true,
        sessionSecret: 'a-session-secret-of-some-length',
      });
    });

    it('keep the development sign-in off on a deployed stage, whatever VIGIL_DEV_SIGN_IN says', () => {
      expect(readConsoleConfig({ ...LOCAL, VIGIL_STAGE: 'prod' }).devSignIn).toBe(false);
    });

    it('take Cognito sign-in given in full by the environment', () => {
      const config = readConsoleConfig({
        ...LOCAL,
        COGNITO_CLIENT_ID: 'client',
        COGNITO_ISSUER: DEPLOYED.COGNITO_ISSUER,
      });
      expect(config.cognito).toEqual({ clientId: 'client', clientSecret: '', issuer: DEPLOYED.COGNITO_ISSUER });
    });
  });

  it('on a deployed console, name the secret parameter and the app client to read at cold start', () => {
    const config = readConsoleConfig(DEPLOYED);
    expect(config.deployed).toEqual({
      sessionSecretParameter: '/vigil/prod/session-secret',
      userPoolId: 'eu-west-1_pool',
      clientName: 'vigil-prod-web',
      issuer: DEPLOYED.COGNITO_ISSUER,
    });
    expect(config.sessionSecret).toBeUndefined();
  });

  describe('refused at start', () => {
    it('without the API URL, saying what it is and who sets it', () => {
      expect(refusal({ ...LOCAL, VIGIL_API_URL: undefined })).toMatch(
        /^The console cannot start: VIGIL_API_URL is missing: the API URL the console calls \(the local stack sets it\)\. Set it/,
      );
    });

    it('with an API URL that is no http(s) URL', () => {
      expect(refusal({ ...LOCAL, VIGIL_API_URL: '127.0.0.1:4000' })).toContain(
        'VIGIL_API_URL must be an http(s) URL (e.g. http://127.0.0.1:4000)',
      );
    });

    it('without a session secret where none is deployed (an empty one is none)', () => {
      expect(refusal({ ...LOCAL, NEXTAUTH_SECRET: '' })).toContain(
        "NEXTAUTH_SECRET is missing: next-auth's session secret",
      );
    });

    it('with a development sign-in that is neither on nor off', () => {
      expect(refusal({ ...LOCAL, VIGIL_DEV_SIGN_IN: 'yes' })).toContain('VIGIL_DEV_SIGN_IN must be on or off');
    });

    it('with half a Cognito sign-in (a client id and no issuer), which was quietly no Cognito', () => {
      expect(refusal({ ...LOCAL, COGNITO_CLIENT_ID: 'client' })).toContain('COGNITO_ISSUER is missing');
    });

    it('naming every missing or bad variable at once', () => {
      const message = refusal({ VIGIL_API_URL: 'ftp://api', VIGIL_DEV_SIGN_IN: 'yes' });
      expect(message).toContain('VIGIL_API_URL must be an http(s) URL');
      expect(message).toContain('VIGIL_DEV_SIGN_IN must be on or off');
      expect(message).toContain('NEXTAUTH_SECRET is missing');
    });

    it('naming every missing variable of a deployed console at once', () => {
      const message = refusal({ ...DEPLOYED, COGNITO_USER_POOL_ID: undefined, COGNITO_CLIENT_NAME: '' });
      expect(message).toContain('COGNITO_USER_POOL_ID is missing');
      expect(message).toContain('COGNITO_CLIENT_NAME is missing');
      expect(message).toMatch(/Set them in its environment/);
    });
  });
});
