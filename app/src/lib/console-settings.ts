/**
 * What next-auth needs that is secret, or known only once the stack exists, read by the console's
 * server itself. Deployed by `serverless deploy` (infra/web.ts), it has only names in its
 * environment and reads, at cold start:
 * - the session secret, from its SSM SecureString parameter, through the SecretSource port that
 *   the console's composition root (app/src/instrumentation.ts) wires at start with the
 *   authorizer's own adapter (libs/aws wiring/console.ts): the app imports no adapter;
 * - its Cognito app client, found by name in the user pool: its id, its secret, and the console's
 *   own origin, which the stack makes the client's logout URL (the function cannot be told it: the
 *   distribution in front of it points at it).
 * Elsewhere (the local stack, a console run by hand) the environment gives the values (config.ts).
 */
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  paginateListUserPoolClients,
} from '@aws-sdk/client-cognito-identity-provider';
import type { SecretSource } from '@vigil/core';
import type { CognitoSettings } from './config';
import { consoleConfig, setConsoleOrigin } from './config';

export type { CognitoSettings };

/** The console's Cognito app client as the stack made it. */
export interface ConsoleClient {
  clientId: string;
  clientSecret: string;
  /** The console's origin (`https://d123.cloudfront.net`): the client's logout URL. */
  consoleOrigin: string;
}

export class ConsoleSettingsError extends Error {
  override name = 'ConsoleSettingsError';
}

/** The app client named `clientName` in the user pool: ListUserPoolClients, then DescribeUserPoolClient. */
export const readConsoleClient = async (
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  clientName: string,
): Promise<ConsoleClient> => {
  let clientId: string | undefined;
  for await (const page of paginateListUserPoolClients(
    { client: cognito },
    { UserPoolId: userPoolId, MaxResults: 60 },
  )) {
    clientId = page.UserPoolClients?.find((c) => c.ClientName === clientName)?.ClientId;
    if (clientId) break;
  }
  if (!clientId) throw new ConsoleSettingsError(`No app client ${clientName} in the user pool ${userPoolId}`);
  const { UserPoolClient: client } = await cognito.send(
    new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }),
  );
  const consoleOrigin = client?.LogoutURLs?.[0];
  if (!client?.ClientSecret || !consoleOrigin) {
    throw new ConsoleSettingsError(
      `The app client ${clientName} has no secret or no logout URL (the console's origin)`,
    );
  }
  return { clientId, clientSecret: client.ClientSecret, consoleOrigin };
};

export interface ConsoleSettings {
  sessionSecret: string;
  cognito?: CognitoSettings;
}

/**
 * Where the composition root leaves the deployed console's session secret. On globalThis, not in
 * this module: Next.js bundles instrumentation.ts apart from the pages and routes, so each has its
 * own copy of this module, and all of them run in the one server process.
 */
const WIRED = Symbol.for('vigil.console.session-secret');
const slot = globalThis as { [WIRED]?: SecretSource };

/** Called once, at start, by app/src/instrumentation.ts on a deployed console. */
export const wireSessionSecret = (source: SecretSource): void => {
  slot[WIRED] = source;
};

/** The deployed console's readers, made once per server process (clients for the function's own region). */
const deployedReaders = () => {
  const settings = consoleConfig().deployed;
  if (!settings) return undefined;
  const secret = slot[WIRED];
  if (!secret) {
    throw new ConsoleSettingsError(
      'The deployed console has no session secret source: app/src/instrumentation.ts wires it at start, and did not run',
    );
  }
  const cognito = new CognitoIdentityProviderClient();
  let client: Promise<ConsoleClient> | undefined;
  return {
    secret,
    /** Read once; a failed read is tried again by the next request. */
    client: () => {
      client ??= readConsoleClient(cognito, settings.userPoolId, settings.clientName)
        .then((found) => {
          setConsoleOrigin(found.consoleOrigin);
          return found;
        })
        .catch((error: unknown) => {
          client = undefined;
          throw error;
        });
      return client;
    },
    issuer: settings.issuer,
  };
};

let readers: ReturnType<typeof deployedReaders> | null = null;

/** next-auth's secret and Cognito sign-in, from wherever this console is run. */
export const consoleSettings = async (): Promise<ConsoleSettings> => {
  if (readers === null) readers = deployedReaders();
  if (!readers) {
    const { sessionSecret, cognito } = consoleConfig();
    // config.ts refuses to start without one where nothing is deployed.
    if (!sessionSecret) throw new ConsoleSettingsError('NEXTAUTH_SECRET is missing');
    return { sessionSecret, ...(cognito && { cognito }) };
  }
  const [sessionSecret, client] = await Promise.all([readers.secret.get(), readers.client()]);
  if (!sessionSecret) throw new ConsoleSettingsError('The session secret source gave no secret');
  return {
    sessionSecret,
    cognito: { clientId: client.clientId, clientSecret: client.clientSecret, issuer: readers.issuer },
  };
};
