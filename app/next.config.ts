import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

/** The repository root: the app imports the tenant-provisioning code from libs/ (one codebase). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const config: NextConfig = {
  turbopack: { root },
  outputFileTracingRoot: root,
  // The AWS SDK stays a plain Node dependency of the server, not bundled.
  serverExternalPackages: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-api-gateway'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
