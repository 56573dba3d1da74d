import { describe, expect, it } from 'vitest';
import { costPerMillion, formatScenario } from './cost-report';
import { PRICES } from './prices';

/** Ten deliveries that used exactly these resources. */
const known = {
  name: 'known',
  unit: 'deliveries',
  messages: 10,
  usage: {
    'dynamodb.wru.table': 60,
    'dynamodb.wru.byStatus': 30,
    'dynamodb.wru.pending': 20,
    'dynamodb.rru': 5,
    'sqs.requests': 30,
    'sqs.calls.SendMessageBatch': 20,
    'sqs.calls.ReceiveMessage': 10,
    'lambda.createMessage.invocations': 10,
    'lambda.createMessage.ms': 500,
    'lambda.deliver.invocations': 10,
    'lambda.deliver.ms': 15_000,
    'apigateway.requests': 10,
    'scheduler.invocations': 1,
  },
};
const memory = (fn: string) => (fn === 'deliver' ? 256 : 512);

describe('cost per million deliveries', () => {
  const cost = costPerMillion(known, memory);
  const line = (service: string) => cost.lines.find((l) => l.service === service)?.perMillion;

  it('prices each service from the usage per delivery', () => {
    // 11 WRU and 0.5 RRU per delivery.
    expect(line('DynamoDB writes')).toBeCloseTo(11 * PRICES.dynamoWriteRequestUnitPerMillion, 10);
    expect(line('DynamoDB reads')).toBeCloseTo(0.5 * PRICES.dynamoReadRequestUnitPerMillion, 10);
    expect(line('SQS')).toBeCloseTo(3 * PRICES.sqsRequestPerMillion, 10);
    expect(line('Lambda requests')).toBeCloseTo(2 * PRICES.lambdaRequestPerMillion, 10);
    // createMessage 50 ms at 0.5 GB, deliver 1,500 ms at 0.25 GB: 0.4 GB-s per delivery.
    expect(line('Lambda duration')).toBeCloseTo(0.4 * 1_000_000 * PRICES.lambdaArmGbSecond, 10);
    expect(line('API Gateway')).toBeCloseTo(PRICES.apiGatewayRestPerMillion, 10);
    expect(line('EventBridge Scheduler')).toBeCloseTo(0.1 * PRICES.schedulerInvocationPerMillion, 10);
  });

  it('adds the lines up to the total', () => {
    expect(cost.total).toBeCloseTo(
      cost.lines.reduce((sum, l) => sum + l.perMillion, 0),
      10,
    );
    // 6.875 + 0.0625 + 1.2 + 0.4 + 5.33336 + 3.5 + 0.1
    expect(cost.total).toBeCloseTo(17.47086, 4);
  });

  it('prints each service with what each delivery used', () => {
    const text = formatScenario(known, cost);
    expect(text).toContain('DynamoDB writes          6.88   11 WRU: table 6, byStatus 3, pending 2');
    expect(text).toContain('deliver 1500 ms × 256 MB');
    expect(text).toMatch(/total\s+17\.47/);
  });
});
