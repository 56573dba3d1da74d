import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

/** The repository root: the app imports @vigil/core's types from libs/ (one codebase); it calls the API for everything else. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const config: NextConfig = {
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
