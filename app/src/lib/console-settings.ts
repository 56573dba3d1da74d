/**
 * What next-auth needs that is secret, or known only once the stack exists, read by the console's
 * server itself. Deployed by `serverless deploy` (infra/web.ts), it has only names in its
 * environment and reads, at cold start:
 * - the session secret, from its SSM SecureString parameter, through the same SsmSecretSource as
 *   the API's authorizer (decrypted, re-read at most every SECRET_CACHE_MS), so both hold the same
 *   value and a rotation reaches both within minutes;
 * - its Cognito app client, found by name in the user pool: its id, its secret, and the console's
 *   own origin, which the stack makes the client's logout URL (the function cannot be told it: the
 *   distribution in front of it points at it).
 * Elsewhere (the local stack, a console run by hand) the environment gives the values.
 */
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  paginateListUserPoolClients,
} from '@aws-sdk/client-cognito-identity-provider';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmSecretSource } from '@vigil/aws/secret-source';
import { cognitoSettings, deployedSettings, sessionSecretFromEnv, setConsoleUrl } from './config';

export interface CognitoSettings {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

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

/** The deployed console's readers, made once per server process (clients for the function's own region). */
const deployedReaders = () => {
  const settings = deployedSettings();
  if (!settings) return undefined;
  const secret = new SsmSecretSource(new SSMClient(), settings.sessionSecretParameter, {
    now: () => Date.now(),
  });
  const cognito = new CognitoIdentityProviderClient();
  let client: Promise<ConsoleClient> | undefined;
  return {
    secret,
    /** Read once; a failed read is tried again by the next request. */
    client: () => {
      client ??= readConsoleClient(cognito, settings.userPoolId, settings.clientName)
        .then((found) => {
          setConsoleUrl(found.consoleOrigin);
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
    const cognito = cognitoSettings();
    return { sessionSecret: sessionSecretFromEnv(), ...(cognito && { cognito }) };
  }
  const [sessionSecret, client] = await Promise.all([readers.secret.get(), readers.client()]);
  return {
    sessionSecret,
    cognito: { clientId: client.clientId, clientSecret: client.clientSecret, issuer: readers.issuer },
  };
};
