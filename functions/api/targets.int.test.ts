/**
 * Where webhooks may go, through the real API and delivery worker of a local stack: the stack
 * never sends a webhook to its own services (the exploit: a webhook to its dynalite port with
 * `X-Amz-Target: DynamoDB_20120810.Scan` read every tenant's signing secret from the attempt's
 * response snippet), and a deployment without private targets refuses literal private, loopback,
 * link-local and metadata addresses when the message is created or changed.
 */
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';

const SCAN = { 'X-Amz-Target': 'DynamoDB_20120810.Scan', 'Content-Type': 'application/x-amz-json-1.0' };

const expectRefusedUrl = (
  response: { status: number; headers: Headers; json: any },
  path: string,
  message: string | RegExp,
) => {
  expect(response.status, JSON.stringify(response.json)).toBe(422);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  assertMatchesSchema('Problem', response.json);
  const matcher = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
  expect(response.json.errors).toEqual([{ path, message: matcher }]);
};

describe('the local stack (private targets allowed) never targets itself', () => {
  let stack: LocalStack;
  let api: ReturnType<typeof apiClient>;
  let dynamoPort: string;
  beforeAll(async () => {
    stack = await startTestStack();
    api = apiClient(stack.url, stack.apiKey);
    dynamoPort = new URL(stack.dynamoEndpoint).port;
  });
  afterAll(() => stack?.stop());

  it('refuses a webhook to its own DynamoDB with 422 on url, and stores nothing', async () => {
    // Act: the exploit as a tenant would send it
    const refused = await api.post('/v1/messages', {
      url: `http://127.0.0.1:${dynamoPort}/`,
      delay: 1,
      headers: SCAN,
      body: { TableName: stack.runtime.config.table },
    });

    // Assess
    expectRefusedUrl(refused, 'url', `:${dynamoPort} is this local stack's own DynamoDB (dynalite)`);
    expect((await api.get('/v1/messages?limit=100')).json.items).toEqual([]);
  });

  it.each(['localhost', '127.0.0.2', '[::1]', '0.0.0.0'])(
    'refuses its own DynamoDB however this host is spelled (%s)',
    async (host) => {
      const refused = await api.post('/v1/messages', { url: `http://${host}:${dynamoPort}/`, delay: 1, headers: SCAN });

      expectRefusedUrl(refused, 'url', /own DynamoDB \(dynalite\): a webhook cannot target the stack itself$/);
    },
  );

  it('refuses its own API, SQS, scheduler and API Gateway emulators, in a batch by index and in a PATCH', async () => {
    const { endpoints } = stack.runtime.config;
    const ports = {
      'API (gateway)': new URL(stack.url).port,
      'SQS (fauxqs)': new URL(endpoints.sqs!).port,
      'scheduler emulator': new URL(endpoints.scheduler!).port,
    };
    for (const [name, port] of Object.entries(ports)) {
      const batch = await api.post('/v1/messages/batch', {
        messages: [
          { url: 'http://127.0.0.1:9/fine', delay: 600 },
          { url: `http://localhost:${port}/`, delay: 600 },
        ],
      });
      expectRefusedUrl(batch, 'messages.1.url', `own ${name}`);
    }
    const waiting = await api.post('/v1/messages', { url: 'http://127.0.0.1:9/fine', delay: 600 });
    expect(waiting.status).toBe(201);
    const apiGatewayPort = stack.runtime.config.reservedEndpoints.find(
      (endpoint) => endpoint.name === 'API Gateway emulator',
    )?.port;
    expect(apiGatewayPort).toBeDefined();

    const patched = await api.patch(`/v1/messages/${waiting.json.id}`, { url: `http://127.0.0.1:${apiGatewayPort}/` });

    expectRefusedUrl(patched, 'url', 'own API Gateway emulator');
    expect((await api.get(`/v1/messages/${waiting.json.id}`)).json.url).toBe('http://127.0.0.1:9/fine');
    expect((await api.get('/v1/messages?limit=100')).json.items).toHaveLength(1);
  });

  it('refuses at send a message that points at its DynamoDB some other way, and nothing reaches it', async () => {
    // Prepare: a message stored with the exploit's target behind the API's back (stored before
    // this rule, say, or aimed at a port that became dynalite's after a restart)
    const created = await api.post('/v1/messages', { url: 'http://127.0.0.1:9/fine', delay: 600 });
    const { store } = stack.runtime.scheduling;
    const stored = (await store.get(stack.tenantId, created.json.id))!;
    const swapped = await store.save(
      {
        ...stored,
        url: `http://localhost:${dynamoPort}/`,
        headers: SCAN,
        body: JSON.stringify({ TableName: stack.runtime.config.table }),
        bodyKind: 'json',
      },
      stored.version,
    );
    expect(swapped).toBe(true);

    // Act: due now
    expect((await api.patch(`/v1/messages/${created.json.id}`, { delay: 0 })).status).toBe(200);

    // Assess: refused before connecting, for good; no response from dynalite was ever read
    const until = Date.now() + 15_000;
    let attempts: any[] = [];
    while (attempts.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      attempts = (await api.get(`/v1/messages/${created.json.id}/attempts`)).json.items;
    }
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      error: expect.stringMatching(
        /^target address not allowed: (127\.0\.0\.1|::1) port \d+ is this local stack's own DynamoDB \(dynalite\)$/,
      ),
    });
    expect(attempts[0].statusCode).toBeUndefined();
    expect(attempts[0].responseSnippet).toBeUndefined();
    const message = (await api.get(`/v1/messages/${created.json.id}`)).json;
    expect(message.status).toBe('failed');
    expect(JSON.stringify(message)).not.toContain('whsec_');
  });

  it('still delivers to a receiver on this machine through localhost (private targets are allowed here)', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const created = await api.post('/v1/messages', { url: `http://localhost:${port}/mine`, delay: 0 });
      expect(created.status).toBe(201);

      await receiver.waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === created.json.id), 15_000);
    } finally {
      await receiver.stop();
    }
  });
});

describe('a deployment without private targets refuses literal private addresses at create', () => {
  let stack: LocalStack;
  let api: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startTestStack({ env: { VIGIL_ALLOW_PRIVATE_TARGETS: 'false' } });
    api = apiClient(stack.url, stack.apiKey);
  });
  afterAll(() => stack?.stop());

  it.each([
    ['http://169.254.169.254/latest/meta-data/iam/', '169.254.169.254 is link-local'],
    ['http://[fd00:ec2::254]/latest/meta-data/', '[fd00:ec2::254] is unique-local'],
    ['http://10.0.0.8/hook', '10.0.0.8 is private'],
    ['http://100.64.1.1/hook', '100.64.1.1 is carrier-grade-nat'],
    ['http://127.0.0.1:9000/hook', '127.0.0.1 is loopback'],
    ['http://localhost:9000/hook', 'localhost is loopback'],
    ['http://[fe80::1]/hook', '[fe80::1] is link-local'],
    ['http://0.0.0.0/hook', '0.0.0.0 is unspecified'],
  ])('refuses %s with 422 on url', async (url, why) => {
    const refused = await api.post('/v1/messages', { url, delay: 60 });

    expectRefusedUrl(refused, 'url', `${why}: only public internet addresses may be targets here`);
  });

  it('refuses them in a PATCH too, and accepts a public name (checked again at every send)', async () => {
    const created = await api.post('/v1/messages', { url: 'https://hooks.example.com/in', delay: 600 });
    expect(created.status).toBe(201);

    const patched = await api.patch(`/v1/messages/${created.json.id}`, { url: 'http://169.254.169.254/' });

    expectRefusedUrl(patched, 'url', '169.254.169.254 is link-local');
    expect((await api.get('/v1/messages?limit=100')).json.items.map((m: any) => m.url)).toEqual([
      'https://hooks.example.com/in',
    ]);
  });
});
