/**
 * A local serverless plugin: serverless writes the /v1 preflight's allowed origin as the string
 * `'<origin>'`, but the console's origin is known to CloudFormation only (its distribution's
 * domain, infra/console-origin.ts). After the events are compiled, every `'<token>'` in the
 * template becomes that origin, quoted as API Gateway wants it.
 */
import { resolveConsoleOrigin } from './console-origin';

import type { CfnValue } from './cloudformation';
import { CONSOLE_URL_OUTPUT } from './web';

interface Serverless {
  service: {
    provider: { compiledCloudFormationTemplate: { Resources: Record<string, unknown> } };
    /** The configuration's resources, parameters resolved. */
    resources: { Outputs: Record<string, { Value: CfnValue }> };
  };
}

class ConsoleOrigin {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless) {
    this.hooks = {
      'after:package:compileEvents': () => {
        // consoleOrigin with the parameters serverless resolved: the console URL output's value.
        const origin = serverless.service.resources.Outputs[CONSOLE_URL_OUTPUT]?.Value;
        if (origin === undefined) throw new Error(`infra/console-origin-plugin.ts: no ${CONSOLE_URL_OUTPUT} output`);
        const { Resources } = serverless.service.provider.compiledCloudFormationTemplate;
        for (const [id, resource] of Object.entries(Resources)) Resources[id] = resolveConsoleOrigin(resource, origin);
      },
    };
  }
}

module.exports = ConsoleOrigin;
