/**
 * Each function's bundle carries only the clients its wiring uses (libs/aws/src/wiring/*): the
 * tenancy routes DynamoDB alone, the authorizer SSM besides (the session secret), the console's
 * first sign-in API Gateway besides, the read-only message routes the store alone; only the message engine carries the
 * queue and the scheduler. Bundled as serverless-esbuild does (bundle, node, ESM entry points first).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from './functions';

const ROOT = join(__dirname, '..');

/** The AWS SDK clients (`@aws-sdk/client-*`) whose code a function's bundle contains. */
const clientsIn = async (functionKey: string): Promise<string[]> => {
  const fn = FUNCTIONS.find((f) => f.key === functionKey);
  if (!fn) throw new Error(`no function ${functionKey}`);
  const entry = join(ROOT, `${fn.definition.handler.replace(/\.handler$/, '')}.ts`);
  const { metafile } = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  // What ends up in the bundle (tree-shaking drops what is imported but never used).
  const [output] = Object.values(metafile.outputs);
  const kept = Object.entries(output?.inputs ?? {}).filter(([, { bytesInOutput }]) => bytesInOutput > 0);
  const clients = kept.flatMap(([input]) => {
    const match = /node_modules\/@aws-sdk\/client-([a-z-]+)\//.exec(input);
    return match ? [match[1] as string] : [];
  });
  return [...new Set(clients)].sort();
};

describe('function bundles', () => {
  it.each([
    'listApiKeys',
    'getSigningSecret',
    'rotateSigningSecret',
    'getUsage',
    'getMessage',
    'listMessages',
    'listAttempts',
    'getMessageBody',
    'health',
    'revokeSession',
    'listNotificationEndpoints',
    'createNotificationEndpoint',
    'deleteNotificationEndpoint',
    'listNotificationEndpointDeliveries',
  ])('%s carries the DynamoDB client only', async (key) => {
    expect(await clientsIn(key)).toEqual(['dynamodb']);
  });

  it("carries SSM's client only in the authorizer, which reads the session secret", async () => {
    expect(await clientsIn('authorizer')).toEqual(['dynamodb', 'ssm']);
  });

  it("carries API Gateway's client only where the console's first sign-in binds usage plans", async () => {
    expect(await clientsIn('claimSessionTenant')).toEqual(['api-gateway', 'dynamodb']);
  });

  it.each(['createMessage', 'createApiKey', 'revokeApiKey', 'testNotificationEndpoint'])(
    'carries the queue and the scheduler where messages (or event deliveries) are dispatched: %s',
    async (key) => {
      expect(await clientsIn(key)).toEqual(['dynamodb', 'scheduler', 'sqs']);
    },
  );
});
