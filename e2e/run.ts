/**
 * `npm run e2e` runs the e2e suite against a fresh local stack; with
 * `-- --base-url https://... --api-key vgl_... [--receiver-url https://... --receiver-port 9400]`
 * it runs the delivery scenarios against a deployed stage instead.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    'receiver-url': { type: 'string' },
    'receiver-port': { type: 'string' },
  },
});

const remote = values['base-url'] !== undefined;
if (remote && !values['api-key']) {
  process.stderr.write('--base-url needs --api-key too\n');
  process.exit(2);
}
const env = {
  ...process.env,
  ...(remote && {
    E2E_BASE_URL: values['base-url'],
    E2E_API_KEY: values['api-key'],
    ...(values['receiver-url'] && { E2E_RECEIVER_URL: values['receiver-url'] }),
    ...(values['receiver-port'] && { E2E_RECEIVER_PORT: values['receiver-port'] }),
  }),
};
// The restart scenario needs a stack it controls, so only the local run includes it.
const files = remote ? ['e2e/delivery.e2e.test.ts'] : [];
const projects = ['--project', 'e2e', '--project', 'e2e-timed'];
const result = spawnSync('npx', ['vitest', 'run', ...projects, ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
