/**
 * The deployed console finds its Cognito app client by name, through the AWS SDK's own client
 * against a local endpoint speaking Cognito's JSON protocol: the client's id, its secret, and the
 * console's origin (its logout URL), across pages of clients.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSettingsError, readConsoleClient } from './console-settings';

const POOL = 'us-east-1_pool';
/** The pool's app clients; ListUserPoolClients answers them two a page. */
const CLIENTS = [
  { ClientId: 'id-cli', ClientName: 'vigil-ci-cli' },
  { ClientId: 'id-other', ClientName: 'other' },
  { ClientId: 'id-web', ClientName: 'vigil-ci-web', ClientSecret: 's3cr3t', LogoutURLs: ['https://d1.cloudfront.net'] },
];
const calls: string[] = [];
let server: http.Server;
let cognito: CognitoIdentityProviderClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target']).split('.')[1] ?? '';
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { NextToken?: string; ClientId?: string };
      calls.push(operation);
      const start = Number(body.NextToken ?? 0);
      const answer =
        operation === 'ListUserPoolClients'
          ? {
              UserPoolClients: CLIENTS.slice(start, start + 2).map(({ ClientId, ClientName }) => ({
                ClientId,
                ClientName,
                UserPoolId: POOL,
              })),
              ...(start + 2 < CLIENTS.length && { NextToken: String(start + 2) }),
            }
          : { UserPoolClient: { UserPoolId: POOL, ...CLIENTS.find((c) => c.ClientId === body.ClientId) } };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  cognito?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

describe('readConsoleClient', () => {
  it("finds the console's client by name on a later page, with its secret and the console's origin", async () => {
    calls.length = 0;
    expect(await readConsoleClient(cognito, POOL, 'vigil-ci-web')).toEqual({
      clientId: 'id-web',
      clientSecret: 's3cr3t',
      consoleOrigin: 'https://d1.cloudfront.net',
    });
    expect(calls).toEqual(['ListUserPoolClients', 'ListUserPoolClients', 'DescribeUserPoolClient']);
  });

  it('fails loudly, naming the client and the pool, when no client has that name', async () => {
    const error = await readConsoleClient(cognito, POOL, 'vigil-prod-web').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleSettingsError);
    expect((error as Error).message).toBe(`No app client vigil-prod-web in the user pool ${POOL}`);
  });

  it('refuses a client without a secret or a logout URL', async () => {
    const error = await readConsoleClient(cognito, POOL, 'vigil-ci-cli').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleSettingsError);
  });
});
