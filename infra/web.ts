/**
 * The console (app/, Next.js) on AWS, deployed by the same `serverless deploy` as the API: built by
 * OpenNext (`@opennextjs/aws`, app/open-next.config.ts) into a server bundle and static assets
 * (infra/web-build.ts). The server bundle runs as the `web` Lambda function behind a function URL;
 * the assets sit in a private S3 bucket that only the distribution reads (origin access control);
 * one CloudFront distribution serves both: `/_next/static/*` and the app's public files from the
 * bucket, everything else from the server, uncached (every page is per user) but compressed.
 *
 * Compression: Next.js's own is off under OpenNext (its `compress: false`), and CloudFront does not
 * compress what a behaviour with the managed CachingDisabled policy answers, its `Compress: true`
 * notwithstanding: edge compression needs the cache policy's Gzip and Brotli settings, which a
 * policy whose TTLs are all 0 cannot turn on. So the server's answers (pages, their RSC payloads,
 * the message page's body route) go through a policy of our own that may keep an answer 1 s, keeps
 * none that says not to (compressedUncachedPolicy), and lets CloudFront compress, gzip or br. The
 * server never compresses, and CloudFront compresses nothing that comes with a Content-Encoding, so
 * nothing is compressed twice.
 *
 * The console's origin (consoleOrigin) is the distribution's domain, or the `webOrigin` parameter
 * when the console has a domain of its own. It is Cognito's callback and logout URL and the API's
 * CORS origin. The server function cannot be given it in its environment: the distribution points
 * at the function's URL, so the function's configuration may not point back at the distribution
 * (nor at the Cognito client, whose callback is the distribution's). The function reads its
 * Cognito client (id, secret, and the console origin from its logout URL) and the session secret
 * at cold start instead (app/src/lib/deployment.ts), so the template carries no secret value.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl } from './api';
import { issuerUrl, USER_POOL, USER_POOL_CLIENT_NAME } from './auth';
import type { CfnResource, CfnValue, Outputs, Resources } from './cloudformation';
import { arnOf, getAtt, hostOf, ifCondition, NO_VALUE, ref, serviceRole, sub } from './cloudformation';
import { consoleOrigin, HAS_CUSTOM_WEB_ORIGIN, WEB_DISTRIBUTION } from './console-origin';
import type { FunctionDefinition } from './functions';
import { roleId, statementsFor } from './functions';
import { functionLogicalId, lambdaName, SESSION_SECRET_PARAMETER, stageName, STAGE } from './names';
import { param } from './params';

/** The console's server function (its serverless key: `vigil-<stage>-web`). */
export const WEB = 'web';
/** serverless's logical id for it. */
export const WEB_LAMBDA = functionLogicalId(WEB);
export const WEB_FUNCTION_URL = 'WebFunctionUrl';
export const WEB_ASSETS_BUCKET = 'WebAssetsBucket';
export const WEB_ASSETS_BUCKET_POLICY = 'WebAssetsBucketPolicy';
export const WEB_ASSETS_ACCESS = 'WebAssetsOriginAccessControl';
export const WEB_FORWARDED_HOST = 'WebForwardedHostFunction';
export const WEB_COMPRESSED_UNCACHED = 'WebCompressedUncachedPolicy';

/** Where OpenNext writes its build, relative to the repository root (infra/web-build.ts). */
export const WEB_BUILD_DIR = 'app/.open-next';
/** The server bundle, zipped for Lambda by infra/web-build.ts. */
export const WEB_SERVER_ZIP = `${WEB_BUILD_DIR}/server-function.zip`;
/** What goes to the assets bucket, as it is laid out there. */
export const WEB_ASSETS_DIR = `${WEB_BUILD_DIR}/assets`;

/** Server-side rendering wants the CPU: Lambda gives a full vCPU at 1769 MB, OpenNext's default is 1024. */
export const WEB_MEMORY_MB = 1024;
/** Under CloudFront's default 30 s origin read timeout. */
export const WEB_TIMEOUT_S = 25;

/** AWS-managed CloudFront policies (the same ids in every account). */
export const CLOUDFRONT_POLICY = {
  /** Cached by path, compressed: the content-hashed static assets. */
  cachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  /** Cookies, query strings and headers to the origin, but not Host: a function URL answers only to its own. */
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
  /**
   * Managed-SecurityHeadersPolicy: HSTS, `X-Frame-Options: SAMEORIGIN` (no page that shows a signing
   * secret or a new key framed by another site), `X-Content-Type-Options: nosniff`, a strict referrer.
   */
  securityHeaders: '67f7725c-6f97-4210-82d7-5512b31e9d03',
} as const;

const SERVER_ORIGIN = 'server';
const ASSETS_ORIGIN = 'assets';

/** Next.js's built files: content-hashed names, so cached for a year. */
export const STATIC_ASSETS_PATH = '_next/static/*';

/**
 * Uncached, but compressed at the edge: CloudFront turns on compression only for a cache policy
 * that may keep something (one whose TTLs are all 0 may not), so this one may keep an answer 1 s
 * at most, and only one that says it may be kept: a page answers `private, no-cache, no-store`
 * (Next.js's, for a page rendered per request) and the body route `private, no-store`, which
 * CloudFront honours with a minimum TTL of 0, and an answer that says nothing is kept 0 s. Keyed by
 * every cookie (the session) and query string all the same, so even a kept answer goes to the same
 * session only; CloudFront keys by no `Vary`, but Next.js's RSC requests carry their own `_rsc`
 * query string (a hash of its router headers) for caches that do not, so a page's RSC payload is
 * never its HTML's.
 */
export const compressedUncachedPolicy = (): CfnResource => ({
  Type: 'AWS::CloudFront::CachePolicy',
  Properties: {
    CachePolicyConfig: {
      Name: stageName('web-compressed-uncached'),
      Comment: 'Nothing kept (the origin says no-store), compressed at the edge',
      MinTTL: 0,
      DefaultTTL: 0,
      MaxTTL: 1,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: true,
        EnableAcceptEncodingBrotli: true,
        CookiesConfig: { CookieBehavior: 'all' },
        HeadersConfig: { HeaderBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'all' },
      },
    },
  },
});

/** The app's public/ files (none today), each a path pattern served from the bucket like the static assets. */
export const publicFilePatterns = (appDir: string): string[] => {
  const dir = join(appDir, 'public');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => (statSync(join(dir, name)).isDirectory() ? `${name}/*` : name));
};

/**
 * Runs on every request to the server (viewer request): the host the browser asked for, which
 * CloudFront does not forward to a function URL, as `x-forwarded-host`, which Next.js checks a
 * server action's Origin against.
 */
export const FORWARDED_HOST_CODE = `function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  return request;
}`;

/**
 * The server function as serverless reads it: OpenNext's bundle as it is (no esbuild pass), with
 * the stack's settings and only the NAMES of what is secret.
 */
export const webFunctionDefinition = (): FunctionDefinition => ({
  handler: 'index.handler',
  description: 'The web console (Next.js, built by OpenNext)',
  role: roleId(WEB),
  timeout: WEB_TIMEOUT_S,
  memorySize: WEB_MEMORY_MB,
  skipEsbuild: true,
  package: { artifact: WEB_SERVER_ZIP },
  environment: {
    VIGIL_API_URL: apiUrl,
    VIGIL_STAGE: STAGE,
    VIGIL_SESSION_SECRET_PARAMETER: SESSION_SECRET_PARAMETER,
    COGNITO_ISSUER: issuerUrl,
    COGNITO_USER_POOL_ID: ref(USER_POOL),
    COGNITO_CLIENT_NAME: USER_POOL_CLIENT_NAME,
    NEXT_TELEMETRY_DISABLED: '1',
  },
});

const webResources = {
  role: (): Resources => ({
    [roleId(WEB)]: serviceRole({
      service: 'lambda.amazonaws.com',
      policyName: lambdaName(WEB),
      statements: [
        ...statementsFor(WEB, { readSessionSecret: true }),
        // Its Cognito client (found by name: the client's callback is the distribution, which
        // points at this function) and its secret, at cold start.
        {
          Effect: 'Allow',
          Action: ['cognito-idp:ListUserPoolClients', 'cognito-idp:DescribeUserPoolClient'],
          Resource: [arnOf(USER_POOL)],
        },
      ],
    }),
  }),

  /** Public, unauthenticated: the console does its own sign-in, as it would on any host. */
  functionUrl: (): Resources => ({
    [WEB_FUNCTION_URL]: {
      Type: 'AWS::Lambda::Url',
      Properties: { TargetFunctionArn: arnOf(WEB_LAMBDA), AuthType: 'NONE', InvokeMode: 'BUFFERED' },
    },
    WebFunctionUrlPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: ref(WEB_LAMBDA),
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      },
    },
    WebFunctionInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: ref(WEB_LAMBDA),
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        InvokedViaFunctionUrl: true,
      },
    },
  }),

  assets: (): Resources => ({
    [WEB_ASSETS_BUCKET]: {
      Type: 'AWS::S3::Bucket',
      // Emptied by serverless-s3-sync on `serverless remove`, then deleted with the stack.
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      },
    },
    [WEB_ASSETS_ACCESS]: {
      Type: 'AWS::CloudFront::OriginAccessControl',
      Properties: {
        OriginAccessControlConfig: {
          Name: stageName('web-assets'),
          OriginAccessControlOriginType: 's3',
          SigningBehavior: 'always',
          SigningProtocol: 'sigv4',
        },
      },
    },
    // Only this distribution may read the bucket (and nobody may write to it but the deployer).
    [WEB_ASSETS_BUCKET_POLICY]: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: ref(WEB_ASSETS_BUCKET),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Resource: sub(`arn:\${AWS::Partition}:s3:::\${${WEB_ASSETS_BUCKET}}/*`),
              Condition: {
                StringEquals: {
                  'AWS:SourceArn': sub(
                    `arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/\${${WEB_DISTRIBUTION}}`,
                  ),
                },
              },
            },
          ],
        },
      },
    },
  }),

  distribution: (assetPatterns: string[]): Resources => {
    const toAssets = (PathPattern: string): CfnValue => ({
      PathPattern,
      TargetOriginId: ASSETS_ORIGIN,
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      CachedMethods: ['GET', 'HEAD'],
      Compress: true,
      CachePolicyId: CLOUDFRONT_POLICY.cachingOptimized,
    });
    /** The server's answers: nothing cached, every header but Host to the server, the security headers. */
    const toServer = {
      TargetOriginId: SERVER_ORIGIN,
      ViewerProtocolPolicy: 'redirect-to-https',
      Compress: true,
      OriginRequestPolicyId: CLOUDFRONT_POLICY.allViewerExceptHostHeader,
      ResponseHeadersPolicyId: CLOUDFRONT_POLICY.securityHeaders,
      FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: getAtt(WEB_FORWARDED_HOST, 'FunctionARN') }],
    };
    return {
      [WEB_COMPRESSED_UNCACHED]: compressedUncachedPolicy(),
      [WEB_FORWARDED_HOST]: {
        Type: 'AWS::CloudFront::Function',
        Properties: {
          Name: stageName('web-forwarded-host'),
          AutoPublish: true,
          FunctionCode: FORWARDED_HOST_CODE,
          FunctionConfig: { Comment: 'The viewer host as x-forwarded-host', Runtime: 'cloudfront-js-2.0' },
        },
      },
      [WEB_DISTRIBUTION]: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: {
            Comment: stageName('console'),
            Enabled: true,
            HttpVersion: 'http2and3',
            IPV6Enabled: true,
            PriceClass: 'PriceClass_100',
            Aliases: ifCondition(HAS_CUSTOM_WEB_ORIGIN, [hostOf(param('webOrigin'))], NO_VALUE),
            ViewerCertificate: ifCondition(
              HAS_CUSTOM_WEB_ORIGIN,
              {
                AcmCertificateArn: param('webCertificateArn'),
                SslSupportMethod: 'sni-only',
                MinimumProtocolVersion: 'TLSv1.2_2021',
              },
              { CloudFrontDefaultCertificate: true },
            ),
            Origins: [
              {
                Id: SERVER_ORIGIN,
                DomainName: hostOf(getAtt(WEB_FUNCTION_URL, 'FunctionUrl')),
                CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
              },
              {
                Id: ASSETS_ORIGIN,
                DomainName: getAtt(WEB_ASSETS_BUCKET, 'RegionalDomainName'),
                S3OriginConfig: { OriginAccessIdentity: '' },
                OriginAccessControlId: getAtt(WEB_ASSETS_ACCESS, 'Id'),
              },
            ],
            DefaultCacheBehavior: {
              ...toServer,
              AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
              CachedMethods: ['GET', 'HEAD'],
              // Not CachingDisabled, under which CloudFront compresses nothing (see the top of this file).
              CachePolicyId: ref(WEB_COMPRESSED_UNCACHED),
            },
            CacheBehaviors: assetPatterns.map(toAssets),
          },
        },
      },
    };
  },
};

/** Every resource of the console but its function (serverless makes that from webFunctionDefinition). */
export const webConsoleResources = (appDir: string): Resources => ({
  ...webResources.role(),
  ...webResources.functionUrl(),
  ...webResources.assets(),
  ...webResources.distribution([STATIC_ASSETS_PATH, ...publicFilePatterns(appDir)]),
});

/** The stack output `serverless deploy` prints the console's URL as. */
export const CONSOLE_URL_OUTPUT = 'ConsoleUrl';

export const webOutputs = (): Outputs => ({
  [CONSOLE_URL_OUTPUT]: { Description: 'The web console: open it in a browser', Value: consoleOrigin },
  WebAssetsBucketName: {
    Description: "The console's static assets (uploaded by serverless-s3-sync on deploy)",
    Value: ref(WEB_ASSETS_BUCKET),
  },
  WebDistributionId: { Description: "The console's CloudFront distribution", Value: ref(WEB_DISTRIBUTION) },
});

/**
 * serverless-s3-sync's settings: after each deploy, the assets to the bucket (named by the
 * output above), files no longer built removed; Next.js's content-hashed files cached for a year.
 */
export const webAssetsSync = () => [
  {
    bucketNameKey: 'WebAssetsBucketName',
    localDir: WEB_ASSETS_DIR,
    deleteRemoved: true,
    params: [{ '_next/static/**': { CacheControl: 'public, max-age=31536000, immutable' } }],
  },
];
