/**
 * The console's settings: its environment read once, validated, and given as one typed object
 * (README: Web app). A missing or bad variable fails the console at start (instrumentation.ts),
 * naming the variable and what it should be, not a page later; nothing else reads `process.env`.
 */
import { z } from 'zod';

/** Cognito sign-in given in full by the environment (a console run by hand on any Node host). */
export interface CognitoSettings {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

/**
 * Where the console deployed by `serverless deploy` finds what it may not be given as values
 * (infra/web.ts): the names of its session secret's SSM parameter and of its Cognito app client.
 */
export interface DeployedSettings {
  sessionSecretParameter: string;
  userPoolId: string;
  clientName: string;
  issuer: string;
}

export interface ConsoleConfig {
  /** Where the app calls the Vigil API from its server. */
  apiUrl: string;
  /** The API's address as users reach it (quickstart commands); the same as apiUrl unless set. */
  publicApiUrl: string;
  /**
   * The development sign-in (any email, no password): only where the local stack turns it on,
   * and never on a deployed stage, whatever else is set.
   */
  devSignIn: boolean;
  /** next-auth's secret where the environment gives it (the local stack; a console run by hand). */
  sessionSecret?: string;
  cognito?: CognitoSettings;
  /** Set on a console deployed by `serverless deploy` only: it reads its secrets at cold start. */
  deployed?: DeployedSettings;
}

export class ConsoleConfigError extends Error {
  override name = 'ConsoleConfigError';
}

/** Unset and empty are the same: a deployment tool often writes an empty value for "none". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const httpUrl = (what: string) =>
  z
    .string()
    .refine((value) => /^https?:\/\/[^/?#\s]+/i.test(value) && URL.canParse(value), {
      message: `must be an http(s) URL (${what})`,
    })
    .transform((value) => value.replace(/\/$/, ''));

const text = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { message: `must not be blank (${what})` });

const ENV = z.object({
  VIGIL_API_URL: z
    .string({ error: 'is missing: the API URL the console calls (the local stack sets it)' })
    .pipe(httpUrl('e.g. http://127.0.0.1:4000')),
  VIGIL_PUBLIC_API_URL: optional(httpUrl('the API as users reach it, e.g. https://api.example.com')),
  VIGIL_DEV_SIGN_IN: optional(z.enum(['on', 'off'], { error: 'must be on or off' })),
  VIGIL_STAGE: optional(text('the stage name, e.g. prod')),
  NEXTAUTH_SECRET: optional(z.string()),
  NEXTAUTH_URL: optional(httpUrl("the console's own origin, e.g. http://localhost:3000")),
  COGNITO_CLIENT_ID: optional(text('the app client id')),
  COGNITO_CLIENT_SECRET: optional(z.string()),
  COGNITO_ISSUER: optional(httpUrl('the user pool, https://cognito-idp.<region>.amazonaws.com/<pool id>')),
  VIGIL_SESSION_SECRET_PARAMETER: optional(text('the SSM parameter name')),
  COGNITO_USER_POOL_ID: optional(text('the user pool id')),
  COGNITO_CLIENT_NAME: optional(text("the console's app client name")),
});

/** Reads the console's settings from `env`; throws ConsoleConfigError naming every missing or bad variable. */
export const readConsoleConfig = (env: Record<string, string | undefined>): ConsoleConfig => {
  const parsed = ENV.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  // Which variables go together, judged on what is given (an empty value is none), bad or not.
  const given = (name: keyof z.infer<typeof ENV>) => Boolean(env[name]);
  const need = (name: keyof z.infer<typeof ENV>, why: string) => {
    if (!given(name)) problems.push(`${name} is missing: ${why}`);
  };
  if (given('VIGIL_SESSION_SECRET_PARAMETER')) {
    const why = 'a deployed console (VIGIL_SESSION_SECRET_PARAMETER is set) needs it';
    need('COGNITO_USER_POOL_ID', why);
    need('COGNITO_CLIENT_NAME', why);
    need('COGNITO_ISSUER', why);
  } else {
    need('NEXTAUTH_SECRET', "next-auth's session secret, shared with the API's authorizer (the local stack sets it)");
    if (given('COGNITO_CLIENT_ID')) {
      need('COGNITO_ISSUER', 'COGNITO_CLIENT_ID is set, and Cognito sign-in needs its issuer too');
    }
  }
  const e = parsed.data;
  if (!e || problems.length > 0) {
    throw new ConsoleConfigError(
      `The console cannot start: ${problems.join('; ')}. Set ${problems.length === 1 ? 'it' : 'them'} in its environment (README: Web app).`,
    );
  }
  const apiUrl = e.VIGIL_API_URL;
  return {
    apiUrl,
    publicApiUrl: e.VIGIL_PUBLIC_API_URL ?? apiUrl,
    devSignIn: e.VIGIL_DEV_SIGN_IN === 'on' && (e.VIGIL_STAGE ?? 'local') === 'local',
    ...(e.NEXTAUTH_SECRET && !e.VIGIL_SESSION_SECRET_PARAMETER && { sessionSecret: e.NEXTAUTH_SECRET }),
    ...(e.COGNITO_CLIENT_ID &&
      e.COGNITO_ISSUER &&
      !e.VIGIL_SESSION_SECRET_PARAMETER && {
        cognito: {
          clientId: e.COGNITO_CLIENT_ID,
          clientSecret: e.COGNITO_CLIENT_SECRET ?? '',
          issuer: e.COGNITO_ISSUER,
        },
      }),
    ...(e.VIGIL_SESSION_SECRET_PARAMETER && {
      deployed: {
        sessionSecretParameter: e.VIGIL_SESSION_SECRET_PARAMETER,
        userPoolId: e.COGNITO_USER_POOL_ID!,
        clientName: e.COGNITO_CLIENT_NAME!,
        issuer: e.COGNITO_ISSUER!,
      },
    }),
  };
};

let config: ConsoleConfig | undefined;

/** The console's settings, read from the environment the first time they are asked for (at start). */
export const consoleConfig = (): ConsoleConfig => (config ??= readConsoleConfig(process.env));

/**
 * The console's own origin for next-auth, which reads it only from `process.env.NEXTAUTH_URL`
 * (next-auth 4's detect-origin: there is no option for it) to build its callback and sign-out
 * URLs. A deployed console learns its origin only at cold start, from its Cognito app client (its
 * function cannot be given the distribution that points at it), so this one write is made then,
 * once per process. Trusting the request's Host instead (AUTH_TRUST_HOST) would let anyone who
 * calls the public function URL choose where a sign-in returns to.
 */
export const setConsoleOrigin = (origin: string): void => {
  if (process.env.NEXTAUTH_URL !== origin) process.env.NEXTAUTH_URL = origin;
};
