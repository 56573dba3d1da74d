/**
 * next-auth: Cognito on AWS, a development sign-in (email only) in the local stack. Sessions are
 * JWTs; the sign-in puts the user's tenant in the token, which the app forwards to the Vigil API
 * as `Authorization: Bearer <session token>` and the API's authorizer verifies with the same secret.
 * A session lives at most 12 hours from sign-in (SESSION_MAX_AGE_S), its tokens carry the issuer,
 * audience and session id the authorizer checks, and a sign-out revokes it in the API.
 */
import type { NextAuthOptions } from 'next-auth';
import CognitoProvider from 'next-auth/providers/cognito';
import CredentialsProvider from 'next-auth/providers/credentials';
import { SESSION_MAX_AGE_S, sessionClaims } from '@vigil/core/tenancy/session';
import { claimSessionTenant, newSessionId, revokeSession } from './api';
import type { CognitoSettings } from './config';
import { consoleConfig } from './config';
import { consoleSettings } from './console-settings';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const providers = (cognito: CognitoSettings | undefined): NextAuthOptions['providers'] => {
  const list: NextAuthOptions['providers'] = [];
  if (cognito) list.push(CognitoProvider(cognito));
  if (consoleConfig().devSignIn) {
    list.push(
      CredentialsProvider({
        id: 'dev',
        name: 'Development sign-in',
        credentials: { email: { label: 'Email', type: 'email' } },
        authorize: async (credentials) => {
          const email = credentials?.email?.trim().toLowerCase() ?? '';
          if (!EMAIL.test(email)) return null;
          return { id: `dev:${email}`, email, name: email };
        },
      }),
    );
  }
  return list;
};

/** next-auth's options, with the secret and Cognito sign-in of where the console runs (console-settings.ts). */
export const authOptions = async (): Promise<NextAuthOptions> => {
  const { sessionSecret, cognito } = await consoleSettings();
  return {
    secret: sessionSecret,
    providers: providers(cognito),
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_S },
    events: {
      signOut: async ({ token }) => {
        if (token) await revokeSession(token);
      },
    },
    pages: { signIn: '/signin', error: '/signin' },
    callbacks: {
      /**
       * At sign-in (when `user` is set), the API finds or makes the user's tenant (POST
       * /v1/session/tenant); its id stays in the token.
       */
      jwt: async ({ token, user, account }) => {
        if (user) {
          const id = account?.provider === 'cognito' ? `cognito:${user.id}` : user.id;
          const tenant = await claimSessionTenant({
            id,
            email: user.email ?? id,
            ...(user.name && { name: user.name }),
          });
          // The session begins: the API checks these on every call (and refuses it 12 hours on).
          Object.assign(token, sessionClaims(newSessionId(), Date.now()));
          token.userId = id;
          token.tenantId = tenant.id;
          token.tenantName = tenant.name;
        }
        return token;
      },
      session: async ({ session, token }) => ({
        ...session,
        tenantId: token.tenantId as string,
        tenantName: token.tenantName as string,
      }),
    },
  };
};
