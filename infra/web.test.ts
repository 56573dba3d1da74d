/**
 * The console's distribution as the template has it, where compression is concerned: CloudFront
 * compresses nothing a behaviour with CachingDisabled answers, so the message page's body route has
 * a behaviour whose policy lets it compress, and keeps nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLOUDFRONT_POLICY, WEB_BODY_PATH, WEB_COMPRESSED_UNCACHED, webConsoleResources } from './web';
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
  it("sends the message page's body route through a behaviour of its own, as the server's other answers but for its cache policy", () => {
    const { config } = distribution();

    const body = config.CacheBehaviors.find((b) => b.PathPattern === WEB_BODY_PATH);

    // The route is at that path in the app (a path pattern's * matches the message id).
    expect(existsSync(join(APP, 'src', 'app', '(console)', 'messages', '[id]', 'body', 'route.ts'))).toBe(true);
    expect(WEB_BODY_PATH).toBe('messages/*/body');
    const { PathPattern: _path, AllowedMethods, CachedMethods, CachePolicyId, ...rest } = body!;
    const {
      AllowedMethods: _a,
      CachedMethods: _c,
      CachePolicyId: serverPolicy,
      ...server
    } = config.DefaultCacheBehavior;
    expect(rest).toEqual(server);
    expect(AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(CachedMethods).toEqual(['GET', 'HEAD']);
    expect(CachePolicyId).toEqual({ Ref: WEB_COMPRESSED_UNCACHED });
    expect(serverPolicy).toBe(CLOUDFRONT_POLICY.cachingDisabled);
  });

  it('lets CloudFront compress the body route in gzip or br, keeping nothing the route says not to keep, and that per session', () => {
    const { resources } = distribution();

    const policy = resources[WEB_COMPRESSED_UNCACHED]!;

    expect(policy.Type).toBe('AWS::CloudFront::CachePolicy');
    expect(policy.Properties.CachePolicyConfig).toMatchObject({
      // A minimum of 0 honours the route's `private, no-store`; a maximum above 0 is what
      // CloudFront asks before it compresses at all; an answer that says nothing is kept 0 s.
      MinTTL: 0,
      DefaultTTL: 0,
      MaxTTL: 1,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: true,
        EnableAcceptEncodingBrotli: true,
        CookiesConfig: { CookieBehavior: 'all' },
      },
    });
  });
});
