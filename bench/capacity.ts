/**
 * `npm run bench:capacity`: the capacity model (bench/capacity/, docs/CAPACITY.md). Runs the cost
 * bench's scenarios in their short form on the local stack (about a minute), takes each one's
 * metered calls per message, and prints what the two big-customer days do to the deployment: the
 * load on every DynamoDB partition key, the services' quotas, Lambda concurrency, what throttles
 * first and the lateness that follows; then the fixes, each as a what-if on the same numbers.
 *
 * Options:
 *   --save FILE    write the metered scenarios to FILE
 *   --usage FILE   model FILE (a --save) instead of running the scenarios
 *   --status-shards N, --message-shards N, --ledger-shards N, --index-shards N, --promote-pages N,
 *   --deliver-max-concurrency N, --warm-pollers  model one layout of your own instead of today's (and
 *                  skip the fix ladder)
 */
import { writeFile, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TICKET_PAGE } from '@vigil/core';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { quietSdkNodeNotice } from '@vigil/local/sdk-notice';
import { AUTHORIZER, DELIVER, FUNCTIONS, METERING } from '../infra/functions';
import type { ScenarioUsage } from './cost/cost-report';
import { SHORT_SIZES, startCostBench } from './cost/cost-scenarios';
import { QUOTAS_AS_OF } from './capacity/aws-quotas';
import type { AwsLatencies, CodeFacts, Deployment } from './capacity/capacity-model';
import { modelDay } from './capacity/capacity-model';
import { formatDay, formatFlowKeys, formatLadder } from './capacity/capacity-report';
import { customerDays, FLOW_KEY_CASES, fixLadder, TODAY } from './capacity/customer-days';

/** Assumed on AWS: one SendMessageBatch of ten tickets, from a Lambda in the queue's Region. */
const LATENCIES: AwsLatencies = { sqsSendBatchMs: 20 };

/** The SQS batch size of a function's event source (infra/functions.ts). */
const sqsBatchSizeOf = (functionKey: string): number => {
  const events = FUNCTIONS.find((f) => f.key === functionKey)?.definition.events ?? [];
  for (const event of events) if ('sqs' in event) return event.sqs.batchSize;
  throw new Error(`capacity model: the ${functionKey} function has no SQS event source`);
};

const FACTS: CodeFacts = {
  apiFunctions: new Set([...API_ROUTES.map((r) => r.functionName), AUTHORIZER]),
  deliverBatchSize: sqsBatchSizeOf(DELIVER),
  promotePageSize: TICKET_PAGE,
  meteringBatchSize: sqsBatchSizeOf(METERING),
};

const positive = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4096)
    throw new Error(`--${name} must be a whole number 1..4096, got ${value}`);
  return n;
};

/** A `--save`d measurement, checked before it is modelled. */
const SAVED_SCENARIOS = z.array(
  z.object({
    name: z.string(),
    unit: z.string(),
    messages: z.number().int().positive(),
    usage: z.record(z.string(), z.number()),
    note: z.string().optional(),
  }),
);

const measure = async (): Promise<ScenarioUsage[]> => {
  const bench = await startCostBench();
  try {
    return await bench.run(SHORT_SIZES);
  } finally {
    await bench.stop();
  }
};

const main = async () => {
  quietSdkNodeNotice();
  const { values } = parseArgs({
    options: {
      save: { type: 'string' },
      usage: { type: 'string' },
      'status-shards': { type: 'string' },
      'message-shards': { type: 'string' },
      'ledger-shards': { type: 'string' },
      'index-shards': { type: 'string' },
      'promote-pages': { type: 'string' },
      'deliver-max-concurrency': { type: 'string' },
      'warm-pollers': { type: 'boolean' },
    },
  });
  const scenarios: ScenarioUsage[] = values.usage
    ? SAVED_SCENARIOS.parse(JSON.parse(await readFile(values.usage, 'utf8')))
    : await measure();
  if (values.save) await writeFile(values.save, JSON.stringify(scenarios, null, 2));

  const days = customerDays(scenarios);
  const model = (deployment: Deployment) => days.map((day) => modelDay(day, deployment, FACTS, LATENCIES));
  const custom = [
    'status-shards',
    'message-shards',
    'ledger-shards',
    'index-shards',
    'promote-pages',
    'deliver-max-concurrency',
    'warm-pollers',
  ].some((name) => values[name as keyof typeof values] !== undefined);
  const chosen: Deployment = custom
    ? {
        ...TODAY,
        name: 'what-if (command line)',
        statusShards: positive('status-shards', values['status-shards'], TODAY.statusShards),
        messageShards: positive('message-shards', values['message-shards'], TODAY.messageShards),
        ledgerShards: positive('ledger-shards', values['ledger-shards'], TODAY.ledgerShards),
        indexShards: positive('index-shards', values['index-shards'], TODAY.indexShards),
        promotePagesInFlight: positive('promote-pages', values['promote-pages'], TODAY.promotePagesInFlight),
        deliverMaxConcurrency: positive(
          'deliver-max-concurrency',
          values['deliver-max-concurrency'],
          TODAY.deliverMaxConcurrency,
        ),
        deliverPollersWarm: values['warm-pollers'] ?? false,
      }
    : TODAY;

  process.stdout.write(
    `Vigil capacity model — ${new Date().toISOString()}\n` +
      `Per-message calls metered on the local stack (the cost bench's scenarios, short form), scaled to each day; ` +
      `AWS limits of ${QUOTAS_AS_OF} (bench/capacity/aws-quotas.ts); assumed on AWS: SendMessageBatch ${LATENCIES.sqsSendBatchMs} ms. ` +
      'See docs/CAPACITY.md.\n\n',
  );
  const reports = model(chosen);
  for (const report of reports) process.stdout.write(`${formatDay(report)}\n\n`);
  process.stdout.write(`${formatFlowKeys(FLOW_KEY_CASES)}\n\n`);
  if (!custom) {
    const steps = fixLadder(reports, model).map((deployment) => ({ deployment, reports: model(deployment) }));
    process.stdout.write(`${formatLadder(steps)}\n`);
  }
};

main().catch((error) => {
  process.stderr.write(
    `capacity model failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
