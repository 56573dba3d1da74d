import { describe, expect, it } from 'vitest';
import type { CompiledResource } from './api';
import { deploymentsWaitFor, GATEWAY_PROBLEMS, methodNotAllowedMethods } from './api';
import { CONSOLE_ORIGIN_TOKEN } from './console-origin';

/** The part of a compiled template serverless makes for /v1/messages, /batch and /{messageId}. */
const compiled = () => {
  const resource = (parent: string | undefined, part: string) => ({
    Type: 'AWS::ApiGateway::Resource',
    Properties: {
      ParentId: parent ? { Ref: parent } : { 'Fn::GetAtt': ['ApiGatewayRestApi', 'RootResourceId'] },
      PathPart: part,
    },
  });
  const method = (resourceId: string, httpMethod: string) => ({
    Type: 'AWS::ApiGateway::Method',
    Properties: { HttpMethod: httpMethod, ResourceId: { Ref: resourceId } },
  });
  return {
    ApiGatewayResourceV1: resource(undefined, 'v1'),
    ApiGatewayResourceV1Messages: resource('ApiGatewayResourceV1', 'messages'),
    ApiGatewayResourceV1MessagesBatch: resource('ApiGatewayResourceV1Messages', 'batch'),
    ApiGatewayResourceV1MessagesMessageidVar: resource('ApiGatewayResourceV1Messages', '{messageId}'),
    ApiGatewayMethodV1MessagesPost: method('ApiGatewayResourceV1Messages', 'POST'),
    ApiGatewayMethodV1MessagesGet: method('ApiGatewayResourceV1Messages', 'GET'),
    ApiGatewayMethodV1MessagesBatchPost: method('ApiGatewayResourceV1MessagesBatch', 'POST'),
    ApiGatewayMethodV1MessagesBatchOptions: method('ApiGatewayResourceV1MessagesBatch', 'OPTIONS'),
    ApiGatewayMethodV1MessagesMessageidVarGet: method('ApiGatewayResourceV1MessagesMessageidVar', 'GET'),
  };
};

describe("API Gateway's answer to a method a route's path does not take", () => {
  const methods = methodNotAllowedMethods(compiled());

  it("gives each route's resource, and only those, an ANY method naming its routes' methods in Allow", () => {
    expect(Object.keys(methods).sort()).toEqual([
      'ApiGatewayMethodV1MessagesAny',
      'ApiGatewayMethodV1MessagesBatchAny',
      'ApiGatewayMethodV1MessagesMessageidVarAny',
    ]);
    const allowOf = (id: string) =>
      (
        methods[id]!.Properties.Integration as {
          IntegrationResponses: Array<{ ResponseParameters: Record<string, string> }>;
        }
      ).IntegrationResponses[0]!.ResponseParameters['method.response.header.Allow'];
    expect(allowOf('ApiGatewayMethodV1MessagesBatchAny')).toBe("'POST'");
    expect(allowOf('ApiGatewayMethodV1MessagesAny')).toBe("'POST, GET'");
    expect(allowOf('ApiGatewayMethodV1MessagesMessageidVarAny')).toBe("'GET, PATCH, DELETE'");
  });

  it('answers 405 problem+json from a mock, before any authorizer, key or function, for the web app too', () => {
    const { Properties: m } = methods.ApiGatewayMethodV1MessagesBatchAny!;
    expect(m).toMatchObject({ HttpMethod: 'ANY', AuthorizationType: 'NONE', ApiKeyRequired: false });
    const integration = m.Integration as {
      Type: string;
      IntegrationResponses: Array<{
        StatusCode: string;
        SelectionPattern?: string;
        ResponseParameters: Record<string, string>;
        ResponseTemplates: Record<string, string>;
      }>;
    };
    expect(integration.Type).toBe('MOCK');
    const [response] = integration.IntegrationResponses;
    expect(response).toMatchObject({ StatusCode: '405' });
    expect(response).not.toHaveProperty('SelectionPattern');
    expect(response!.ResponseParameters).toEqual({
      'method.response.header.Content-Type': "'application/problem+json'",
      'method.response.header.Allow': "'POST'",
      'method.response.header.Access-Control-Allow-Origin': `'${CONSOLE_ORIGIN_TOKEN}'`,
    });
    expect(JSON.parse(response!.ResponseTemplates['application/json']!)).toEqual({
      type: 'https://vigil.dev/problems/method-not-allowed',
      title: 'Method not allowed',
      status: 405,
      detail: '$context.httpMethod is not allowed here; use POST.',
      requestId: '$context.requestId',
    });
    // Every header the integration sets is one the method response declares.
    const declared = Object.keys(
      (m.MethodResponses as Array<{ ResponseParameters: Record<string, true> }>)[0]!.ResponseParameters,
    );
    expect(declared.sort()).toEqual(Object.keys(response!.ResponseParameters).sort());
  });
});

type PluginClass = new (serverless: unknown) => { hooks: Record<string, () => void> };
const pluginClass = async (module: Promise<unknown>) => ((await module) as { default: PluginClass }).default;

describe('the API deployment, after the local plugins ran', () => {
  it('waits for the 405 methods and the gateway responses, keeping what it waited for once', async () => {
    // Each plugin is a CommonJS class (`module.exports`), as serverless loads it: its import's default.
    const MethodNotAllowed = await pluginClass(import('./method-not-allowed-plugin'));
    const ApiDeploymentOrder = await pluginClass(import('./api-deployment-order'));
    const Resources: Record<string, CompiledResource> = {
      ...compiled(),
      ApiGatewayDeployment123: { Type: 'AWS::ApiGateway::Deployment', DependsOn: 'ApiGatewayMethodV1MessagesPost' },
    };
    const serverless = { service: { provider: { compiledCloudFormationTemplate: { Resources } } } };

    for (const Plugin of [MethodNotAllowed, ApiDeploymentOrder])
      new Plugin(serverless).hooks['after:package:compileEvents']!();

    const waits = Resources.ApiGatewayDeployment123!.DependsOn as string[];
    expect(waits).toEqual([
      'ApiGatewayMethodV1MessagesPost',
      'ApiGatewayMethodV1MessagesAny',
      'ApiGatewayMethodV1MessagesBatchAny',
      'ApiGatewayMethodV1MessagesMessageidVarAny',
      ...GATEWAY_PROBLEMS.map((p) => p.logicalId),
    ]);
    expect(Resources.ApiGatewayMethodV1MessagesPost).not.toHaveProperty('DependsOn');
  });

  it('waits for an id once however often it is asked, and leaves every other resource as it was', () => {
    const Resources: Record<string, CompiledResource> = {
      ApiGatewayDeploymentA: { Type: 'AWS::ApiGateway::Deployment' },
      ApiGatewayDeploymentB: { Type: 'AWS::ApiGateway::Deployment', DependsOn: ['X', 'Y'] },
      Other: { Type: 'AWS::ApiGateway::Method', DependsOn: 'X' },
    };

    deploymentsWaitFor(Resources, ['Y', 'Z']);
    deploymentsWaitFor(Resources, ['Z']);

    expect(Resources.ApiGatewayDeploymentA!.DependsOn).toEqual(['Y', 'Z']);
    expect(Resources.ApiGatewayDeploymentB!.DependsOn).toEqual(['X', 'Y', 'Z']);
    expect(Resources.Other!.DependsOn).toBe('X');
  });
});
