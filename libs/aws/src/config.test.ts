import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config';

/** The settings every function needs, as the deployment (or the local stack) sets them. */
const BASE: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  VIGIL_TABLE: 'vigil-test',
  VIGIL_DELIVERY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/vigil-test-delivery',
  VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:promote',
  VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
};

describe("the local stack's reserved endpoints (VIGIL_RESERVED_ENDPOINTS)", () => {
  it('are none on AWS, where the variable is not set', () => {
    expect(readConfig(BASE).reservedEndpoints).toEqual([]);
  });

  it('read name=port pairs, names with spaces and parentheses included', () => {
    const config = readConfig({
      ...BASE,
      VIGIL_RESERVED_ENDPOINTS: 'API (gateway)=4000,web app=3000,DynamoDB (dynalite)=41234',
    });

    expect(config.reservedEndpoints).toEqual([
      { name: 'API (gateway)', port: 4000 },
      { name: 'web app', port: 3000 },
      { name: 'DynamoDB (dynalite)', port: 41234 },
    ]);
  });

  it.each(['dynamo', 'dynamo=', '=4000', 'dynamo=port', 'dynamo=70000'])('refuse %j loudly at cold start', (value) => {
    expect(() => readConfig({ ...BASE, VIGIL_RESERVED_ENDPOINTS: value })).toThrow(ConfigError);
  });
});

describe('the retention override (VIGIL_RETENTION_OVERRIDE_S)', () => {
  it('is unset by default: every plan keeps its own retention days', () => {
    expect(readConfig(BASE).engine.retentionOverrideMs).toBeUndefined();
  });

  it('shortens every plan’s retention to seconds on the local stack, for tests', () => {
    expect(readConfig({ ...BASE, VIGIL_RETENTION_OVERRIDE_S: '4' }).engine.retentionOverrideMs).toBe(4_000);
  });

  it('is refused on a deployed stage, where it would delete finished messages within seconds', () => {
    expect(() => readConfig({ ...BASE, VIGIL_STAGE: 'prod', VIGIL_RETENTION_OVERRIDE_S: '4' })).toThrow(
      /local stack only/,
    );
  });
});

describe('gathering delivery tickets (VIGIL_PROMPT_QUEUE_URL, VIGIL_GATHER_WINDOW_MS)', () => {
  const PROMPT = 'http://127.0.0.1:9324/000000000000/vigil-test-delivery-prompt';

  it('gathers for a second when a prompt queue takes the tickets that cannot wait', () => {
    const config = readConfig({ ...BASE, VIGIL_PROMPT_QUEUE_URL: PROMPT });
    expect(config.engine.gatherWindowMs).toBe(1_000);
    expect(config.promptQueueUrl).toBe(PROMPT);
    // A gathered ticket can reach a worker armLead + window + 1 s early: still within the horizon.
    expect(config.engine.armHorizonMs).toBeGreaterThan(config.engine.armLeadMs + 2_000);
  });

  it('gathers nothing without one: every ticket on the delivery queue, as it comes', () => {
    const config = readConfig(BASE);
    expect(config.engine.gatherWindowMs).toBe(0);
    expect(config.promptQueueUrl).toBe(BASE.VIGIL_DELIVERY_QUEUE_URL);
  });

  it('refuses a window without a prompt queue (a ticket due within it would wait it out: late)', () => {
    expect(() => readConfig({ ...BASE, VIGIL_GATHER_WINDOW_MS: '1000' })).toThrow(/VIGIL_PROMPT_QUEUE_URL/);
    expect(
      readConfig({ ...BASE, VIGIL_PROMPT_QUEUE_URL: PROMPT, VIGIL_GATHER_WINDOW_MS: '0' }).engine.gatherWindowMs,
    ).toBe(0);
  });
});
