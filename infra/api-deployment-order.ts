/**
 * A local serverless plugin: makes the API deployment serverless creates on every deploy
 * (`ApiGatewayDeployment<instance id>`) wait for the gateway responses. A deployment snapshots
 * the API as it is when it is created, so without this CloudFormation may create it alongside a
 * new or changed gateway response and the stage would keep API Gateway's default error bodies
 * until the next deploy.
 */
import { GATEWAY_PROBLEMS } from './api';

interface CompiledResource {
  Type: string;
  DependsOn?: string | string[];
}

interface Serverless {
  service: { provider: { compiledCloudFormationTemplate: { Resources: Record<string, CompiledResource> } } };
}

const asArray = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

class ApiDeploymentOrder {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless) {
    this.hooks = {
      'after:package:compileEvents': () => {
        const { Resources } = serverless.service.provider.compiledCloudFormationTemplate;
        for (const resource of Object.values(Resources)) {
          if (resource.Type !== 'AWS::ApiGateway::Deployment') continue;
          const gatewayResponses = GATEWAY_PROBLEMS.map((p) => p.logicalId);
          resource.DependsOn = [...new Set([...asArray(resource.DependsOn), ...gatewayResponses])];
        }
      },
    };
  }
}

module.exports = ApiDeploymentOrder;
