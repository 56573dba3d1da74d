import type { LocalStack } from '@vigil/local/stack';
import { PLANS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../../test-support/local-stack';
import { adminProgram } from './admin';

let stack: LocalStack;

/** Runs one admin command against the running test stack and returns what it printed. */
const admin = async (...args: string[]) => {
  const lines: string[] = [];
  await adminProgram((line) => lines.push(line)).parseAsync(['node', 'admin', '--local', stack.dataDir, ...args]);
  return lines.join('\n');
};

beforeAll(async () => {
  // The gateway caches authorizer answers for a minute, as API Gateway does.
  stack = await startTestStack({ authCacheMs: 60_000 });
});
afterAll(() => stack?.stop());

describe('npm run admin', () => {
  it('creates a tenant whose first key works, lists it, and revokes the key', async () => {
    const created = await admin('tenant', 'create', '--name', 'acme', '--plan', 'pro');
    const tenantId = /tenant (tnt_\w+)/.exec(created)?.[1];
    const [, keyId, apiKey] = /API key (key_\w+): (vgl_\w+)/.exec(created) ?? [];
    expect(tenantId).toBeDefined();
    expect(apiKey).toMatch(/^vgl_[0-9A-Za-z]{43}$/);

    const acme = apiClient(stack.url, apiKey!);
    expect((await acme.post('/v1/messages', { url: 'http://127.0.0.1:9/x', delay: 600 })).status).toBe(201);
    expect(await admin('tenant', 'list')).toContain(`${tenantId}  pro`);

    expect(await admin('key', 'revoke', keyId!)).toContain(`Revoked ${keyId}`);
    // Refused at once, although the gateway had cached the key's authorizer answer.
    await new Promise((r) => setTimeout(r, 150));
    const refused = await acme.get('/v1/messages');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  });

  it("keeps two tenants apart: one cannot read the other tenant's message", async () => {
    const keyOf = async (name: string) =>
      /API key key_\w+: (vgl_\w+)/.exec(await admin('tenant', 'create', '--name', name))![1]!;
    const a = apiClient(stack.url, await keyOf('a'));
    const b = apiClient(stack.url, await keyOf('b'));
    const message = (await a.post('/v1/messages', { url: 'http://127.0.0.1:9/x', delay: 600 })).json;
    expect((await b.get(`/v1/messages/${message.id}`)).status).toBe(404);
    expect((await b.get(`/v1/messages/${message.id}/attempts`)).status).toBe(404);
    expect((await b.patch(`/v1/messages/${message.id}`, { delay: 5 })).status).toBe(404);
    expect((await b.post(`/v1/messages/${message.id}/redeliver`)).status).toBe(404);
    expect((await b.delete(`/v1/messages/${message.id}`)).status).toBe(404);
    expect((await b.get('/v1/messages')).json.items).toEqual([]);
    // A's message is untouched by all of B's attempts.
    const after = (await a.get(`/v1/messages/${message.id}`)).json;
    expect(after).toMatchObject({ status: 'scheduled', sendAt: message.sendAt, updatedAt: message.updatedAt });
  });

  it("throttles a tenant beyond its plan's burst with 429, Retry-After and problem+json, and no one else", async () => {
    const keyOf = async (name: string) =>
      /API key key_\w+: (vgl_\w+)/.exec(await admin('tenant', 'create', '--name', name, '--plan', 'free'))![1]!;
    const noisy = apiClient(stack.url, await keyOf('noisy'));
    const quiet = apiClient(stack.url, await keyOf('quiet'));
    const answers = await Promise.all(
      Array.from({ length: PLANS.free.burst + 10 }, () => noisy.get('/v1/messages?limit=1')),
    );
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]?.headers.get('retry-after')).toBe('1');
    expect(refused[0]?.headers.get('content-type')).toBe('application/problem+json');
    expect(refused[0]?.json.type).toBe('https://vigil.dev/problems/rate-limited');
    expect((await quiet.get('/v1/messages?limit=1')).status).toBe(200);
  });

  it('refuses an unknown plan and an unknown key with a clear message', async () => {
    await expect(admin('tenant', 'create', '--name', 'x', '--plan', 'gold')).rejects.toThrow(/gold/);
    await expect(admin('key', 'revoke', 'key_nope')).rejects.toThrow('No API key key_nope.');
  });

  it('stores API keys only as hashes', async () => {
    const created = await admin('tenant', 'create', '--name', 'hashes');
    const apiKey = /(vgl_\w+)/.exec(created)![1]!;
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stack.runtime.config.endpoints.dynamodb,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    const { Items = [] } = await db.send(new ScanCommand({ TableName: stack.runtime.config.table }));
    expect(JSON.stringify(Items)).not.toContain(apiKey);
    expect(JSON.stringify(Items)).toContain(apiKey.slice(0, 12));
  });
});
