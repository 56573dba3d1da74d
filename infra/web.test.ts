/**
 * The console's distribution as the template has it, where compression is concerned: CloudFront
 * compresses nothing a behaviour with CachingDisabled answers, so the server's answers (pages, their
 * RSC payloads, the message page's body route) go through a policy that lets it compress, and keeps
 * nothing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLOUDFRONT_POLICY, STATIC_ASSETS_PATH, WEB_COMPRESSED_UNCACHED, webConsoleResources } from './web';
import { WEB_DISTRIBUTION } from './console-origin';

const APP = fileURLToPath(new URL('../app', import.meta.url));

type Behavior = Record<string, unknown> & { PathPattern?: string };
const distribution = () => {
  const resources = webConsoleResources(APP);
  const config = resources[WEB_DISTRIBUTION]!.Properties.DistributionConfig as {
    DefaultCacheBehavior: Behavior;
    CacheBehaviors: Behavior[];
  };
  return { resources, config };
};

describe("the console's distribution", () => {
  it('has CloudFront compress every answer of the server (pages, their RSC payloads, the body route), as the built files', () => {
    const { config } = distribution();

    const server = config.DefaultCacheBehavior;

    expect(server.TargetOriginId).toBe('server');
    expect(server.Compress).toBe(true);
    // Not CachingDisabled, under which CloudFront compresses nothing, its Compress notwithstanding.
    expect(server.CachePolicyId).toEqual({ Ref: WEB_COMPRESSED_UNCACHED });
    // The rest are the built files, cached and compressed; no path of the server's goes otherwise.
    expect(config.CacheBehaviors.map((b) => [b.PathPattern, b.TargetOriginId, b.Compress, b.CachePolicyId])).toEqual([
      [STATIC_ASSETS_PATH, 'assets', true, CLOUDFRONT_POLICY.cachingOptimized],
    ]);
  });

  it('lets CloudFront compress in gzip or br, keeping nothing an answer says not to keep, and that per session', () => {
    const { resources } = distribution();

    const policy = resources[WEB_COMPRESSED_UNCACHED]!;

    expect(policy.Type).toBe('AWS::CloudFront::CachePolicy');
    expect(policy.Properties.CachePolicyConfig).toMatchObject({
      // A minimum of 0 honours a page's and the body route's `no-store`; a maximum above 0 is what
      // CloudFront asks before it compresses at all; an answer that says nothing is kept 0 s.
      MinTTL: 0,
      DefaultTTL: 0,
      MaxTTL: 1,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: true,
        EnableAcceptEncodingBrotli: true,
        CookiesConfig: { CookieBehavior: 'all' },
        // Next.js's RSC requests differ from a page's by their `_rsc` query string (CloudFront keys by no Vary).
        QueryStringsConfig: { QueryStringBehavior: 'all' },
      },
    });
  });
});
