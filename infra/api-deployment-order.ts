/**
 * A local serverless plugin: makes the API deployment serverless creates on every deploy
 * (`ApiGatewayDeployment<instance id>`) wait for the gateway responses. A deployment snapshots
 * the API as it is when it is created, so without this CloudFormation may create it alongside a
 * new or changed gateway response and the stage would keep API Gateway's default error bodies
 * until the next deploy.
 */
import type { CompiledResource } from './api';
import { deploymentsWaitFor, GATEWAY_PROBLEMS } from './api';

interface Serverless {
  service: { provider: { compiledCloudFormationTemplate: { Resources: Record<string, CompiledResource> } } };
}

class ApiDeploymentOrder {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless) {
    this.hooks = {
      'after:package:compileEvents': () => {
        const { Resources } = serverless.service.provider.compiledCloudFormationTemplate;
        const gatewayResponses = GATEWAY_PROBLEMS.map((p) => p.logicalId);
        deploymentsWaitFor(Resources, gatewayResponses);
      },
    };
  }
}

module.exports = ApiDeploymentOrder;
