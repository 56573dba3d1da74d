/**
 * A local serverless plugin: the console is built (infra/web-build.ts) before serverless packages
 * the functions, so `serverless package` and `serverless deploy` ship the console it was run with.
 */
import { buildWebConsole } from './web-build';

interface Serverless {
  cli: { log(message: string): void };
}

class WebBuild {
  readonly hooks: Record<string, () => Promise<void>>;

  constructor(serverless: Serverless) {
    const log = (message: string) => serverless.cli.log(message);
    this.hooks = { 'before:package:createDeploymentArtifacts': () => buildWebConsole(log) };
  }
}

module.exports = WebBuild;
