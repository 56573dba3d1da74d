/**
 * The local gateway's router: the route table of functions/api/routes.ts, matched as API Gateway
 * matches its resources (`{name}` path parameters, an optional trailing slash; a literal segment
 * before a parameter, so `/v1/messages/batch` is that route's path and never a `{messageId}`). A
 * path no route has is a 404; a path whose routes take other methods is a 405 naming them
 * (`GET /v1/messages/batch` was read as message "batch" and answered 404 "No such message"); a path
 * parameter that is not valid percent-encoding (`%ff`) is a 400 rather than a crash of the gateway.
 */
import type { ApiHandler, ApiRoute } from '@vigil/functions/api/routes';

export interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  paramNames: string[];
  /** Per segment of its path, whether it is a parameter: a literal segment is the more specific. */
  paramSegments: boolean[];
  /** The route's handler, loaded as the gateway starts. */
  handler?: ApiHandler;
}

export type RouteMatch =
  | { kind: 'matched'; compiled: CompiledRoute; pathParameters: Record<string, string> }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'malformed-path'; segment: string };

export const compileRoute = (route: ApiRoute): CompiledRoute => {
  const paramNames: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  const paramSegments = route.path.split('/').map((segment) => /^\{\w+\}$/.test(segment));
  return { route, pattern: new RegExp(`^${source}/?$`), paramNames, paramSegments };
};

/** Negative when `a` is the more specific path: at the first segment where they differ, its is literal. */
const bySpecificity = (a: CompiledRoute, b: CompiledRoute): number => {
  for (let i = 0; i < a.paramSegments.length; i++) {
    if (a.paramSegments[i] !== b.paramSegments[i]) return a.paramSegments[i] ? 1 : -1;
  }
  return 0;
};

export const matchRoute = (routes: readonly CompiledRoute[], method: string, pathname: string): RouteMatch => {
  const matching = routes.flatMap((compiled) => {
    const m = compiled.pattern.exec(pathname);
    return m === null ? [] : [{ compiled, m }];
  });
  if (matching.length === 0) return { kind: 'not-found' };
  // The path is the most specific one matching (API Gateway's resource); its methods are the ones allowed.
  const path = matching.reduce((best, x) => (bySpecificity(x.compiled, best.compiled) < 0 ? x : best)).compiled.route
    .path;
  const ofPath = matching.filter((x) => x.compiled.route.path === path);
  const chosen = ofPath.find((x) => x.compiled.route.method === method);
  if (!chosen) return { kind: 'method-not-allowed', allow: ofPath.map((x) => x.compiled.route.method).join(', ') };
  const { compiled, m } = chosen;
  const pathParameters: Record<string, string> = {};
  for (const [i, name] of compiled.paramNames.entries()) {
    const segment = m[i + 1] ?? '';
    try {
      pathParameters[name] = decodeURIComponent(segment);
    } catch {
      return { kind: 'malformed-path', segment };
    }
  }
  return { kind: 'matched', compiled, pathParameters };
};
