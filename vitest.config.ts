import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ISOLATED_UNIT } from './test-support/isolated-unit-tests';
import { BACKGROUND_RUN, TIMED_RUN } from './test-support/test-runs';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const alias = {
  '@vigil/core': here('./libs/core/src'),
  '@vigil/aws': here('./libs/aws/src'),
  '@vigil/local': here('./libs/local/src'),
  '@vigil/functions': here('./functions'),
  // The worktree's own client source (node_modules/@vigil/client links to the main checkout's).
  '@vigil/client': here('./libs/client/src'),
  // The web app's own `@/…` imports (its tsconfig paths), for its unit tests.
  '@': here('./app/src'),
};

/**
 * Integration tests that measure nothing in time (a store's items, a template, a package, a
 * ledger's counts): they run two at a time, in npm test's background run (nice 19,
 * test-support/test-runs.ts). Every other integration test (a stack that delivers, a sender's
 * timeouts, an emulator's timers) runs one file at a time in the timed run, at normal priority, as
 * does the README's walk-through, so "never early, on time" is measured with the cores theirs
 * whenever they wake. A new integration test is timed until it is listed here.
 */
const UNTIMED_INTEGRATION = [
  // Stalls its own thread on purpose: it judges what was answered, never when.
  'test-support/receiver-thread.int.test.ts',
  'libs/aws/src/dynamo-message-store.int.test.ts',
  'libs/aws/src/dynamo-message-list.int.test.ts',
  'libs/aws/src/dynamo-storage.int.test.ts',
  'libs/aws/src/dynamo-session-revocations.int.test.ts',
  'libs/aws/src/dynamo-tenant-store.int.test.ts',
  'libs/aws/src/dynamo-bulk-job-store.int.test.ts',
  'libs/aws/src/dynamo-notification-endpoints.int.test.ts',
  'libs/aws/src/dynamo-usage-ledger.int.test.ts',
  'libs/aws/src/dynamo-usage-ledger-bounds.int.test.ts',
  'libs/aws/src/message-store-all-or-nothing.int.test.ts',
  'libs/aws/src/tenant-partitions.int.test.ts',
  'libs/aws/src/table-layout.int.test.ts',
  'functions/deploy/*.int.test.ts',
  'libs/aws/src/secret-source.int.test.ts',
  'libs/aws/src/sqs-delivery-queue.int.test.ts',
  'libs/aws/src/api-gateway-usage-plans.int.test.ts',
  'libs/aws/src/wiring/local-signer.int.test.ts',
  'libs/local/src/dynalite-patches.int.test.ts',
  'libs/local/src/dynalite-atomic-writes.int.test.ts',
  'libs/local/src/end-with-parent.int.test.ts',
  'libs/local/src/gateway.int.test.ts',
  'libs/local/src/receiver.int.test.ts',
  'libs/local/src/stack.int.test.ts',
  'libs/client/src/transport-abort.int.test.ts',
  'libs/client/scripts/*.int.test.ts',
  'infra/*.int.test.ts',
  'bench/cost/dynamo-request-units.int.test.ts',
  'app/src/lib/console-settings.int.test.ts',
  'functions/api/input-edges.int.test.ts',
  'functions/api/unavailable.int.test.ts',
  'functions/engine/bulk-jobs.int.test.ts',
  'bench/cost/grants-cover-calls.int.test.ts',
  'contract/hostile-input.int.test.ts',
  // Routes, refusals, keys, secrets and logs through a stack: each waits for a delivery at most,
  // never judges when it came.
  'contract/every-route.int.test.ts',
  'functions/api/targets.int.test.ts',
  'functions/api/message-search.int.test.ts',
  'functions/api/secrets-in-logs.int.test.ts',
  'functions/api/signing-secret.int.test.ts',
  'functions/api/api-keys.int.test.ts',
  'functions/api/account-actions-keyed.int.test.ts',
  'functions/api/authorizer.int.test.ts',
  'functions/api/authorizer-ssm.int.test.ts',
  'functions/api/tenant-isolation.int.test.ts',
  'libs/client/src/verify.int.test.ts',
  'libs/local/src/api-gateway-emulator.int.test.ts',
  'libs/local/src/stack-provisioning.int.test.ts',
  'libs/local/src/table-upgrade.int.test.ts',
  'libs/local/src/expiry-reaper.int.test.ts',
  'libs/cli/src/admin.int.test.ts',
];

/**
 * Integration tests that run a whole stack and mostly wait on it (deliveries due seconds ahead,
 * retries, the metering window, expiry), judging outcomes, not instants: never
 * early, counts, order. They hardly load the machine, so they run beside the untimed e2e tests,
 * three files at a time (four made every file of the group slower, the chaos and restart tests
 * about twice: the group took some 150 s more): run after the timed ones as a group of their own
 * they took about 70 s more. A test that bounds how late something may be (the client's
 * `vigil.int`, the sender's timeouts) stays timed.
 */
const WAITING_INTEGRATION = [
  'libs/client/src/cli/cli.int.test.ts',
  'functions/api/api.int.test.ts',
  'functions/engine/event-deliveries.int.test.ts',
  'functions/metering/metering.int.test.ts',
  // Retention shortened to seconds: it waits for messages to expire and be reaped.
  'libs/local/src/retention.int.test.ts',
  // npm start's own process, signalled while it starts: it waits for the stop, never judges when.
  'libs/local/src/start-interrupted.int.test.ts',
];

/**
 * Integration tests that mostly wait and need next to no CPU: processes held stopped (SIGSTOP), or
 * the cost bench's short form waiting for its scenarios (10 of its 46 s on a CPU). They need only
 * time, so they run last in the timed run, which has ended its timed files by then and idles
 * through the background run's last group: there they took 75, 43 and 15 s of that group's three
 * workers (the services' 62 s stall at its end), here none.
 */
const IDLE_INTEGRATION = [
  // The cost bench's short form: it counts calls and units while it waits for its scenarios.
  'bench/cost/cost-bench.int.test.ts',
  // A stall of the services' process (SIGSTOP) past Node's 60 s head bound: it waits it out.
  'libs/local/src/stack-services.int.test.ts',
  // Stalls of the local gateway's process (SIGSTOP, 4 s) past its shortened bounds, and that
  // process out of file descriptors.
  'libs/local/src/gateway-stall.int.test.ts',
];

/**
 * End-to-end tests that judge outcomes, not instants: the console in a browser, the stack under
 * faults and kill -9, and the canary's delivery scenarios (final states, counts, exactly once,
 * never early: a busy neighbour can make a delivery late, never early). They run three at a time
 * with the waiting integration tests, the others beside the console's (about 270 s alone: as two
 * files, the walk-through and every page in every look, run side by side, the two took longer than
 * the one, 301 and 204 s, each with its own console and browser on two cores). The README's
 * walk-through ("delivered on time") is timed: it runs in the timed run, one file at a time. A new
 * e2e test is timed until it is listed here.
 */
const UNTIMED_E2E = [
  'e2e/web.e2e.test.ts',
  'e2e/chaos.e2e.test.ts',
  'e2e/usage.e2e.test.ts',
  'e2e/restart.e2e.test.ts',
  'e2e/delivery.e2e.test.ts',
];

const E2E_TIMEOUTS = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // A page writes its times in the browser's zone once it has hydrated, which on a busy two-core
  // machine can take longer than expect.poll's default second.
  expect: { poll: { timeout: 10_000 } },
};

// npm test runs these projects as two vitest processes at once (test-support/test-runs.ts), each
// group by group (sequence.groupOrder). The timed run: unit tests (isolated or not), then the timed
// integration tests one file at a time, then the timed e2e test, then the idle integration tests.
// The background run, at the lowest priority: the untimed integration tests two at a time, then the
// waiting integration tests and the untimed e2e tests three at a time. (Projects that share a group
// must share their maxWorkers.)
const config = defineConfig({
  resolve: { alias },
  test: {
    maxWorkers: 2,
    reporters: ['default', './test-support/timeline-reporter.ts', './test-support/summary-reporter.ts'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', ...ISOLATED_UNIT, 'node_modules/**'],
          // Each worker imports a module once for all its files, not once per file (zod, the AWS SDK's
          // types, core): isolating unit tests cost two thirds of their group's time in imports.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'unit-isolated',
          include: ISOLATED_UNIT,
          exclude: ['node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: UNTIMED_INTEGRATION,
          exclude: ['node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration-timed',
          include: ['**/*.int.test.ts'],
          exclude: [...UNTIMED_INTEGRATION, ...WAITING_INTEGRATION, ...IDLE_INTEGRATION, 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration-waiting',
          include: WAITING_INTEGRATION,
          exclude: ['node_modules/**'],
          maxWorkers: 3,
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 4 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: UNTIMED_E2E,
          ...E2E_TIMEOUTS,
          maxWorkers: 3,
          sequence: { groupOrder: 4 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e-timed',
          include: ['e2e/**/*.e2e.test.ts'],
          exclude: [...UNTIMED_E2E, 'node_modules/**'],
          ...E2E_TIMEOUTS,
          fileParallelism: false,
          sequence: { groupOrder: 5 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration-idle',
          include: IDLE_INTEGRATION,
          exclude: ['node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 6 },
        },
      },
    ],
  },
});

// A project in neither of npm test's runs would never run there: said at once, whatever is run.
const projects = (config.test?.projects ?? []).map((project) => (project as { test?: { name?: string } }).test?.name);
const unrun = projects.filter((name) => !([...TIMED_RUN, ...BACKGROUND_RUN] as string[]).includes(name ?? ''));
if (unrun.length > 0) {
  throw new Error(
    `vitest.config.ts: ${unrun.join(', ')} in neither of npm test's runs: add it to TIMED_RUN or BACKGROUND_RUN (test-support/test-runs.ts)`,
  );
}

export default config;
