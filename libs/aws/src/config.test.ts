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
