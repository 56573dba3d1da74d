import { describe, expect, it } from 'vitest';
import { webAppEnv } from './web-app';

describe("the local console's environment", () => {
  const options = { mode: 'dev' as const, apiUrl: 'http://127.0.0.1:4000', sessionSecret: 'the-stack-secret' };

  it("is the stack's own over a shell with a deployment's settings exported: development sign-in on, the stack's secret", () => {
    // Arrange: what an operator's shell may hold for the admin command and a deployed console.
    const shell = {
      PATH: '/usr/bin',
      VIGIL_STAGE: 'prod',
      VIGIL_SESSION_SECRET_PARAMETER: '/vigil/prod/session-secret',
      VIGIL_API_URL: 'https://api.example.com',
      NEXTAUTH_SECRET: 'the-shells-secret',
    };

    // Act
    const env = webAppEnv(options, 'http://localhost:3000', shell);

    // Assert: the console's development sign-in needs stage local (app/src/lib/config.ts), and with
    // a secret parameter named it would read its secret from SSM, not NEXTAUTH_SECRET.
    expect(env.PATH).toBe('/usr/bin');
    expect(env.VIGIL_STAGE).toBe('local');
    expect(env.VIGIL_DEV_SIGN_IN).toBe('on');
    expect(env.NEXTAUTH_SECRET).toBe('the-stack-secret');
    expect(env.VIGIL_SESSION_SECRET_PARAMETER).toBeUndefined();
    expect(env.VIGIL_API_URL).toBe('http://127.0.0.1:4000');
  });

  it("lets a test's own settings stand over the stack's", () => {
    expect(
      webAppEnv({ ...options, env: { VIGIL_DEV_SIGN_IN: 'off' } }, 'http://localhost:3000', {}).VIGIL_DEV_SIGN_IN,
    ).toBe('off');
  });
});
