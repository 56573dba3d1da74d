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
  // Every page's metadata (its <title>) in the document's head, before the body, for every browser:
  // Next.js otherwise streams it after the body to all but a list of bots, so a screen reader (and
  // axe) can meet a page, or a page being refreshed, without its title.
  htmlLimitedBots: /.*/,
};

export default config;
