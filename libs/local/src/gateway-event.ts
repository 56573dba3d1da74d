/**
 * The events the local gateway hands the handlers, shaped as API Gateway REST (v1) builds them: the
 * proxy event for a route's function, the REQUEST authorizer's event, and a Lambda context.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { ApiRoute } from '@vigil/functions/api/routes';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';

/**
 * Name-value pairs as API Gateway's JSON carries them: each name's last value, and all of them in
 * order. Built as own entries, as JSON.parse would build them in a Lambda, so a name such as
 * `__proto__` is an entry like any other, never the object's prototype.
 */
const byName = (pairs: Iterable<[string, string]>) => {
  const all = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = all.get(name);
    if (values) values.push(value);
    else all.set(name, [value]);
  }
  return {
    last: Object.fromEntries([...all].map(([name, values]) => [name, values.at(-1)!])),
    all: Object.fromEntries(all),
  };
};

export const proxyEvent = (request: {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  route: ApiRoute;
  pathParameters: Record<string, string>;
  requestId: string;
}): APIGatewayProxyEvent => {
  const { req, url, body, route, pathParameters, requestId } = request;
  // Each header line as sent (Node's req.headers joins repeats, or keeps the first of some such as
  // authorization): API Gateway REST gives a repeated header's last value in `headers`, every value
  // in `multiValueHeaders`. Names lower-cased, as the handlers read them.
  const headerLines: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headerLines.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
  const { last: headers, all: multiValueHeaders } = byName(headerLines);
  const { last: query, all: multiQuery } = byName(url.searchParams);
  // Bytes that are not UTF-8 go as base64, as API Gateway hands a binary body: read as text they
  // would turn into U+FFFD unseen, and a handler could not refuse them.
  const binary = body.length > 0 && !isUtf8(body);
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
    requestContext: {
      requestId,
      resourcePath: route.path,
      httpMethod: route.method,
      path: url.pathname,
      stage: 'local',
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
};

/** The REQUEST authorizer's event for a proxy event on `route`. */
export const authorizerEvent = (event: APIGatewayProxyEvent, route: ApiRoute): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:local:000000000000:vigil/local/${route.method}${route.path}`,
    resource: route.path,
    path: event.path,
    httpMethod: route.method,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    pathParameters: event.pathParameters,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    stageVariables: null,
    requestContext: event.requestContext,
  }) as APIGatewayRequestAuthorizerEvent;

export const lambdaContext = (functionName: string, requestId: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    awsRequestId: requestId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } as Context;
};
