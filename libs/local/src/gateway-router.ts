/**
 * The local gateway's router: the route table of functions/api/routes.ts, matched as API Gateway
 * matches its resources (`{name}` path parameters, an optional trailing slash). A path no route
 * has is a 404; a path whose routes take other methods is a 405 naming them; a path parameter that
 * is not valid percent-encoding (`%ff`) is a 400 rather than a crash of the gateway.
 */
import type { ApiHandler, ApiRoute } from '@vigil/functions/api/routes';

export interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  paramNames: string[];
  /** The route's handler, loaded on its first request. */
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
  return { route, pattern: new RegExp(`^${source}/?$`), paramNames };
};

export const matchRoute = (routes: readonly CompiledRoute[], method: string, pathname: string): RouteMatch => {
  const matching = routes.flatMap((compiled) => {
    const m = compiled.pattern.exec(pathname);
    return m === null ? [] : [{ compiled, m }];
  });
  if (matching.length === 0) return { kind: 'not-found' };
  const chosen = matching.find((x) => x.compiled.route.method === method);
  if (!chosen) return { kind: 'method-not-allowed', allow: matching.map((x) => x.compiled.route.method).join(', ') };
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
