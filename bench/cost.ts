/**
 * `npm run bench:cost`: what a delivery costs on AWS at list prices, measured from the calls the
 * real handlers make on the local stack (bench/cost/). Prints each scenario's dollars per million
 * deliveries with the breakdown by service. `-- --short` runs a few messages per scenario.
 */
import { quietSdkNodeNotice } from '@vigil/local/sdk-notice';
import { memorySizeOf } from '../infra/functions';
import { costPerMillion, formatScenario } from './cost/cost-report';
import { FULL_SIZES, SHORT_SIZES, startCostBench } from './cost/cost-scenarios';
import { PRICES_AS_OF } from './cost/prices';

const main = async () => {
  quietSdkNodeNotice();
  const sizes = process.argv.includes('--short') ? SHORT_SIZES : FULL_SIZES;
  const bench = await startCostBench();
  try {
    const scenarios = await bench.run(sizes);
    process.stdout.write(
      `Vigil cost per million deliveries on AWS — ${new Date().toISOString()}\n` +
        `us-east-1 on-demand list prices of ${PRICES_AS_OF} (bench/cost/prices.ts), no free tiers; ` +
        'metered from the real calls on the local stack\n\n',
    );
    for (const scenario of scenarios) {
      process.stdout.write(`${formatScenario(scenario, costPerMillion(scenario, memorySizeOf))}\n\n`);
    }
  } finally {
    await bench.stop();
  }
};

main().catch((error) => {
  process.stderr.write(
    `cost bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
