/**
 * A local serverless plugin: once serverless has compiled the routes' methods, gives each route's
 * resource an ANY method answering the methods it does not take with 405 and `Allow`
 * (methodNotAllowedMethods, infra/api.ts), and makes the API deployment wait for them (a
 * deployment snapshots the API as it is when it is created). Runs before console-origin-plugin,
 * which resolves the console origin these answers name.
 */
import type { CompiledResource } from './api';
import { deploymentsWaitFor, methodNotAllowedMethods } from './api';

interface Serverless {
  service: { provider: { compiledCloudFormationTemplate: { Resources: Record<string, CompiledResource> } } };
}

class MethodNotAllowed {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless) {
    this.hooks = {
      'after:package:compileEvents': () => {
        const { Resources } = serverless.service.provider.compiledCloudFormationTemplate;
        const methods = methodNotAllowedMethods(Resources);
        Object.assign(Resources, methods);
        deploymentsWaitFor(Resources, Object.keys(methods));
      },
    };
  }
}

module.exports = MethodNotAllowed;
