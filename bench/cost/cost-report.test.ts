import { describe, expect, it } from 'vitest';
import { costPerMillion, formatScenario } from './cost-report';
import { PRICES, PROVISIONED_UTILIZATION } from './prices';

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

  it("prices the what-if of a provisioned table: a million deliveries' units over capacity-hours used at the target", () => {
    // 11 WRU and 0.5 RRU per delivery: 11 million writes a million, 3,600 a capacity unit-hour.
    const dynamo =
      ((11_000_000 / 3_600) * PRICES.dynamoProvisionedWriteUnitHour +
        (500_000 / 3_600) * PRICES.dynamoProvisionedReadUnitHour) /
      PROVISIONED_UTILIZATION;
    expect(cost.provisioned.dynamo).toBeCloseTo(dynamo, 10);
    // About 2.84 instead of 6.94 on demand; the other services as they are.
    expect(cost.provisioned.dynamo).toBeCloseTo(2.8633, 3);
    expect(cost.provisioned.total).toBeCloseTo(
      cost.total - line('DynamoDB writes')! - line('DynamoDB reads')! + dynamo,
      10,
    );
  });

  it('prints each service with what each delivery used', () => {
    const text = formatScenario(known, cost);
    expect(text).toContain('DynamoDB writes          6.88   11 WRU: table 6, byStatus 3, pending 2');
    expect(text).toContain('deliver 1500 ms × 256 MB');
    expect(text).toMatch(/total\s+17\.47/);
    expect(text).toMatch(/provisioned table\s+13\.40 {3}what-if: DynamoDB 2\.86 with capacity auto-scaled to 70 % use/);
  });
});
