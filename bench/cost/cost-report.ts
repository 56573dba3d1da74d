/**
 * A scenario's metered usage (aws-call-meter.ts) in dollars per million deliveries, by service, at
 * the list prices of prices.ts; and the text the cost bench prints.
 */
import type { Usage } from './aws-call-meter';
import { PRICES, PROVISIONED_UTILIZATION } from './prices';

export interface ScenarioUsage {
  name: string;
  /** What the scenario's count means ("deliveries", "cancelled messages"). */
  unit: string;
  /** Messages the scenario carried through (the per-million denominator). */
  messages: number;
  usage: Usage;
  /** One line of what shaped the figure (batching, messages per bucket), printed under its name. */
  note?: string;
}

export interface CostLine {
  service: string;
  /** Dollars per million of the scenario's unit. */
  perMillion: number;
  /** What the line counts, per message. */
  detail: string;
}

export interface ScenarioCost {
  lines: CostLine[];
  total: number;
  /**
   * The what-if of a table with provisioned capacity (auto-scaled to PROVISIONED_UTILIZATION) in
   * place of on-demand units: DynamoDB's lines, and the total with them.
   */
  provisioned: { dynamo: number; total: number };
}

const SECONDS_PER_HOUR = 3_600;

const LAMBDA_COUNTER = /^lambda\.(.+)\.invocations$/;

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** The scenario's dollars per million messages; `memoryMbOf` gives each function's deployed memory. */
export const costPerMillion = (scenario: ScenarioUsage, memoryMbOf: (functionName: string) => number): ScenarioCost => {
  const { usage, messages } = scenario;
  const per = (name: string) => (usage[name] ?? 0) / messages;
  const indexUnits = Object.entries(usage)
    .filter(([name]) => name.startsWith('dynamodb.wru.') && name !== 'dynamodb.wru.table')
    .map(([name, units]) => `${name.slice('dynamodb.wru.'.length)} ${round(units / messages)}`);
  const writeUnits = Object.entries(usage)
    .filter(([name]) => name.startsWith('dynamodb.wru.'))
    .reduce((sum, [, units]) => sum + units, 0);
  const functions = Object.keys(usage)
    .map((name) => LAMBDA_COUNTER.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
  const gbSecondsOf = (fn: string) => (per(`lambda.${fn}.ms`) / 1000) * (memoryMbOf(fn) / 1024);
  const invocations = functions.reduce((sum, fn) => sum + per(`lambda.${fn}.invocations`), 0);
  const gbSeconds = functions.reduce((sum, fn) => sum + gbSecondsOf(fn), 0);
  const lines: CostLine[] = [
    {
      service: 'DynamoDB writes',
      perMillion: (writeUnits / messages) * PRICES.dynamoWriteRequestUnitPerMillion,
      detail: `${round(writeUnits / messages)} WRU: table ${round(per('dynamodb.wru.table'))}${indexUnits.map((u) => `, ${u}`).join('')}${usage['dynamodb.conditionalCheckFailures'] ? `; ${round(per('dynamodb.conditionalCheckFailures'))} failed conditions` : ''}`,
    },
    {
      service: 'DynamoDB reads',
      perMillion: per('dynamodb.rru') * PRICES.dynamoReadRequestUnitPerMillion,
      detail: `${round(per('dynamodb.rru'))} RRU`,
    },
    {
      service: 'SQS',
      perMillion: per('sqs.requests') * PRICES.sqsRequestPerMillion,
      detail: `${round(per('sqs.requests'))} requests (${Object.entries(usage)
        .filter(([name]) => name.startsWith('sqs.calls.'))
        .map(([name, n]) => `${name.slice('sqs.calls.'.length)} ${round(n / messages)}`)
        .join(', ')})`,
    },
    {
      service: 'Lambda requests',
      perMillion: invocations * PRICES.lambdaRequestPerMillion,
      detail: functions.map((fn) => `${fn} ${round(per(`lambda.${fn}.invocations`))}`).join(', '),
    },
    {
      service: 'Lambda duration',
      perMillion: gbSeconds * 1_000_000 * PRICES.lambdaArmGbSecond,
      detail: functions.map((fn) => `${fn} ${Math.round(per(`lambda.${fn}.ms`))} ms × ${memoryMbOf(fn)} MB`).join(', '),
    },
    {
      service: 'API Gateway',
      perMillion: per('apigateway.requests') * PRICES.apiGatewayRestPerMillion,
      detail: `${round(per('apigateway.requests'))} requests`,
    },
    {
      service: 'EventBridge Scheduler',
      perMillion: per('scheduler.invocations') * PRICES.schedulerInvocationPerMillion,
      detail: `${round(per('scheduler.invocations'), 3)} invocations, ${round(per('scheduler.api.CreateSchedule'), 3)} CreateSchedule (not billed)`,
    },
  ];
  const total = lines.reduce((sum, line) => sum + line.perMillion, 0);
  const onDemandDynamo = lines
    .filter((line) => line.service.startsWith('DynamoDB'))
    .reduce((sum, line) => sum + line.perMillion, 0);
  // A million messages' units, spread over capacity-hours that are PROVISIONED_UTILIZATION used.
  const unitHours = (units: number) => (units * 1_000_000) / SECONDS_PER_HOUR / PROVISIONED_UTILIZATION;
  const dynamo =
    unitHours(writeUnits / messages) * PRICES.dynamoProvisionedWriteUnitHour +
    unitHours(per('dynamodb.rru')) * PRICES.dynamoProvisionedReadUnitHour;
  return { lines, total, provisioned: { dynamo, total: total - onDemandDynamo + dynamo } };
};

/** The text block of one scenario. */
export const formatScenario = (scenario: ScenarioUsage, cost: ScenarioCost): string =>
  [
    `${scenario.name}: ${scenario.messages} ${scenario.unit}${scenario.note ? ` (${scenario.note})` : ''}`,
    `  $ per million ${scenario.unit}, and what each one used`,
    ...cost.lines.map(
      (line) => `    ${line.service.padEnd(22)}${line.perMillion.toFixed(2).padStart(7)}   ${line.detail}`,
    ),
    `    ${'total'.padEnd(22)}${cost.total.toFixed(2).padStart(7)}`,
    `    ${'provisioned table'.padEnd(22)}${cost.provisioned.total.toFixed(2).padStart(7)}   what-if: DynamoDB ${cost.provisioned.dynamo.toFixed(2)} with capacity auto-scaled to ${PROVISIONED_UTILIZATION * 100} % use (the stack deploys it on demand)`,
  ].join('\n');
