/**
 * next-auth: Cognito on AWS, a development sign-in (email only) in the local stack. Sessions are
 * JWTs; the sign-in puts the user's tenant in the token, which the app forwards to the Vigil API
 * as `Authorization: Bearer <session token>` and the API's authorizer verifies with the same secret.
 * A session lives at most 12 hours from sign-in (SESSION_MAX_AGE_S), its tokens carry the issuer,
 * audience and session id the authorizer checks, and a sign-out revokes it in the API.
 */
import type { Account, NextAuthOptions, User } from 'next-auth';
import CognitoProvider from 'next-auth/providers/cognito';
import CredentialsProvider from 'next-auth/providers/credentials';
import { SESSION_MAX_AGE_S, sessionClaims } from '@vigil/core/tenancy/session';
import type { SessionTenant } from './api';
import { claimSessionTenant, newSessionId, revokeSession } from './api';
import type { CognitoSettings } from './config';
import { consoleConfig } from './config';
import { consoleSettings } from './console-settings';
import { tenantClaimFailedHref } from './sign-in-errors';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The person's id in Vigil: Cognito's subject, prefixed; the development sign-in's own. */
const userIdOf = (user: User, account: Account | null): string =>
  account?.provider === 'cognito' ? `cognito:${user.id}` : user.id;

/**
 * The tenant each sign-in claimed in `signIn`, for `jwt` to put in the session it then makes:
 * next-auth hands both callbacks the same `user` of one sign-in.
 */
const claimedTenants = new WeakMap<User, SessionTenant>();

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
       * Before any session exists, the API finds or makes the user's tenant (POST
       * /v1/session/tenant). If it cannot (the API down, slow or failing), the sign-in ends here,
       * with no session cookie, back on the sign-in page saying why (sign-in-errors.ts): next-auth
       * catches nothing thrown in `jwt` at a development sign-in, which answered 500, and the form
       * seemed to do nothing.
       */
      signIn: async ({ user, account }) => {
        const id = userIdOf(user, account);
        try {
          const tenant = await claimSessionTenant({
            id,
            email: user.email ?? id,
            ...(user.name && { name: user.name }),
          });
          claimedTenants.set(user, tenant);
          return true;
        } catch (error) {
          console.error(
            JSON.stringify({ level: 'error', msg: 'could not claim the tenant at sign-in', error: String(error) }),
          );
          return tenantClaimFailedHref(error);
        }
      },
      /** At sign-in (when `user` is set), the tenant `signIn` claimed goes in the token. */
      jwt: async ({ token, user, account }) => {
        if (user) {
          const tenant = claimedTenants.get(user);
          // Never: next-auth calls `signIn` first, and a sign-in it did not allow ends there.
          if (!tenant) throw new Error('A sign-in reached the session without a claimed tenant');
          claimedTenants.delete(user);
          // The session begins: the API checks these on every call (and refuses it 12 hours on).
          Object.assign(token, sessionClaims(newSessionId(), Date.now()));
          token.userId = userIdOf(user, account);
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
