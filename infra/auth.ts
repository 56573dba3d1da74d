/**
 * Sign-in for the web app: a Cognito user pool (people sign in with their e-mail address), its
 * hosted UI domain, and the app client next-auth's Cognito provider uses (authorization code
 * grant, with a client secret). The callback and logout URLs are the console's origin
 * (infra/console-origin.ts). The console's server function finds the client by its name and reads
 * its id and secret at cold start (infra/web.ts); the secret is in no output (outputs are readable
 * by anyone who can describe the stack) and no function configuration.
 */
import type { CfnValue, Intrinsic, Outputs, Resources } from './cloudformation';
import { ref, sub } from './cloudformation';
import { consoleOrigin } from './console-origin';
import { SERVICE, STAGE, stageName } from './names';

export const USER_POOL = 'UserPool';
export const USER_POOL_DOMAIN = 'UserPoolDomain';
export const USER_POOL_CLIENT = 'UserPoolWebClient';
/** The console's app client's name, by which its server function finds it: `vigil-<stage>-web`. */
export const USER_POOL_CLIENT_NAME = stageName('web');

/** Where next-auth's Cognito provider receives the authorization code. */
export const callbackUrl = (origin: CfnValue): Intrinsic =>
  sub('${Origin}/api/auth/callback/cognito', { Origin: origin });

/** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: next-auth's `issuer`. */
export const issuerUrl: Intrinsic = sub(`https://cognito-idp.\${AWS::Region}.amazonaws.com/\${${USER_POOL}}`);

export const authResources = (): Resources => ({
  [USER_POOL]: {
    Type: 'AWS::Cognito::UserPool',
    // A user's tenant is found by the pool's `sub` for them: a new pool would give every user a new,
    // empty tenant. Kept like the table (README: Tear down).
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      UserPoolName: stageName('users'),
      DeletionProtection: 'ACTIVE',
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      Schema: [{ Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true }],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: false,
          TemporaryPasswordValidityDays: 7,
        },
      },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    },
  },
  [USER_POOL_DOMAIN]: {
    Type: 'AWS::Cognito::UserPoolDomain',
    Properties: {
      UserPoolId: ref(USER_POOL),
      // Hosted UI prefixes are global across AWS: the account id keeps this one ours.
      Domain: sub(`${SERVICE}-${STAGE}-\${AWS::AccountId}`),
    },
  },
  [USER_POOL_CLIENT]: {
    Type: 'AWS::Cognito::UserPoolClient',
    Properties: {
      ClientName: USER_POOL_CLIENT_NAME,
      UserPoolId: ref(USER_POOL),
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [callbackUrl(consoleOrigin)],
      // The console's server function reads its origin here (app/src/lib/deployment.ts).
      LogoutURLs: [consoleOrigin],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    },
  },
});

export const authOutputs = (): Outputs => ({
  UserPoolId: { Description: 'Cognito user pool of the web app', Value: ref(USER_POOL) },
  UserPoolClientId: { Description: "The web app's Cognito client id (next-auth)", Value: ref(USER_POOL_CLIENT) },
  UserPoolIssuer: { Description: "next-auth's Cognito issuer URL", Value: issuerUrl },
  UserPoolDomain: {
    Description: 'Hosted sign-in domain',
    Value: sub(`\${${USER_POOL_DOMAIN}}.auth.\${AWS::Region}.amazoncognito.com`),
  },
});
