/**
 * OpenNext's build of the console for AWS (infra/web.ts deploys it; infra/web-build.ts runs it):
 * one server function behind a function URL (API Gateway v2's event shape, buffered answers), its
 * static assets in S3. Every page is rendered per user and nothing is cached on the server, so no
 * incremental cache, tag cache or revalidation queue is deployed; the app uses no next/image, so
 * the image optimisation function is not deployed either (and gets no sharp).
 */
import type { OpenNextConfig } from '@opennextjs/aws/types/open-next.js';

/** Set by infra/web-build.ts when app/.next is newer than its sources: `next build` is not run again. */
const prebuilt = process.env.VIGIL_WEB_PREBUILT === '1';

const config = {
  default: {
    override: {
      wrapper: 'aws-lambda',
      converter: 'aws-apigw-v2',
      incrementalCache: 'dummy',
      tagCache: 'dummy',
      queue: 'dummy',
    },
  },
  dangerous: { disableIncrementalCache: true, disableTagCache: true },
  imageOptimization: { install: { packages: [] } },
  // `npm run build` builds with NEXT_PRIVATE_STANDALONE, the output OpenNext bundles from.
  buildCommand: prebuilt ? 'true' : 'npm run build',
} satisfies OpenNextConfig;

export default config;
