/**
 * Labels and the listing's filters through the real handlers on the local stack: labels set at
 * create, batch and PATCH and shown by get and list; every filter over HTTP, paged both ways; bad
 * queries answered 422 naming the parameter (every response is checked against openapi.yaml).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '@vigil/local/stack';
import { apiClient, newTenantKey, startTestStack } from '../../test-support/local-stack';

let stack: LocalStack;
let api: ReturnType<typeof apiClient>;
const TARGET = 'http://127.0.0.1:9/hooks';
const HOUR_S = 3600;

interface Listed {
  id: string;
  status: string;
  labels: string[];
  url: string;
}

beforeAll(async () => {
  stack = await startTestStack();
  // A tenant of its own, so the listing holds only what these tests made.
  api = apiClient(stack.url, await newTenantKey(stack, 'pro', 'search'));
}, 60_000);

afterAll(() => stack?.stop());

const ids = (items: Listed[]) => items.map((m) => m.id);

describe('labels', () => {
  it('are kept from create, batch and PATCH, and shown by get and list', async () => {
    const one = await api.post('/v1/messages', { url: `${TARGET}/one`, delay: HOUR_S, labels: ['billing', 'eu'] });
    expect(one.status).toBe(201);
    expect(one.json.labels).toEqual(['billing', 'eu']);
    const batch = await api.post('/v1/messages/batch', {
      messages: [
        { url: `${TARGET}/two`, delay: HOUR_S, labels: ['ops'] },
        { url: `${TARGET}/three`, delay: HOUR_S },
      ],
    });
    expect(batch.json.items.map((m: Listed) => m.labels)).toEqual([['ops'], []]);
    const patched = await api.patch(`/v1/messages/${one.json.id}`, { labels: ['billing:retry'] });
    expect(patched.json.labels).toEqual(['billing:retry']);
    expect((await api.get(`/v1/messages/${one.json.id}`)).json.labels).toEqual(['billing:retry']);
    const listed = await api.get('/v1/messages?label=billing:retry');
    expect(listed.json.items.map((m: Listed) => [m.id, m.labels])).toEqual([[one.json.id, ['billing:retry']]]);
  });

  it('refuses eleven labels or a bad one with a 422 naming the field, and stores nothing', async () => {
    const before = (await api.get('/v1/messages?limit=100')).json.items.length;
    const eleven = Array.from({ length: 11 }, (_, i) => `l${i}`);
    const tooMany = await api.post('/v1/messages', { url: TARGET, delay: HOUR_S, labels: eleven });
    expect(tooMany.status).toBe(422);
    expect(tooMany.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(tooMany.json.errors).toEqual([{ path: 'labels', message: 'at most 10 labels' }]);
    const bad = await api.post('/v1/messages/batch', {
      messages: [{ url: TARGET, delay: HOUR_S, labels: ['has space'] }],
    });
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(['messages.0.labels.0']);
    expect((await api.get('/v1/messages?limit=100')).json.items.length).toBe(before);
  });
});

describe('GET /v1/messages filters', () => {
  let made: Listed[] = [];
  beforeAll(async () => {
    const created = await api.post('/v1/messages/batch', {
      messages: Array.from({ length: 8 }, (_, i) => ({
        url: `${TARGET}/${i % 2 === 0 ? 'a' : 'b'}/${i}`,
        delay: HOUR_S + i * 60,
        labels: i % 3 === 0 ? ['search', 'weekly'] : ['search'],
      })),
    });
    made = created.json.items;
    for (const m of made.filter((_, i) => i % 4 === 1)) await api.delete(`/v1/messages/${m.id}`);
    made = (await api.get('/v1/messages?label=search&limit=100')).json.items;
  });

  it('filters by several statuses, label, url prefix, sendAt and createdAt ranges and id text', async () => {
    const cancelled = made.filter((m) => m.status === 'cancelled');
    expect(cancelled).toHaveLength(2);
    const byStatus = await api.get('/v1/messages?status=cancelled,delivered&label=search');
    expect(ids(byStatus.json.items)).toEqual(ids(cancelled));
    const weekly = await api.get('/v1/messages?label=weekly');
    expect(weekly.json.items.every((m: Listed) => m.labels.includes('weekly'))).toBe(true);
    expect(weekly.json.items).toHaveLength(3);
    const a = await api.get(`/v1/messages?label=search&urlPrefix=${encodeURIComponent(`${TARGET}/a/`)}`);
    expect(a.json.items.every((m: Listed) => m.url.startsWith(`${TARGET}/a/`))).toBe(true);
    expect(a.json.items).toHaveLength(4);

    const detail = (await api.get(`/v1/messages/${made[3]?.id}`)).json;
    const sendAt = Date.parse(detail.sendAt);
    const window = `sendAtFrom=${new Date(sendAt).toISOString()}&sendAtTo=${new Date(sendAt + 60_000).toISOString()}`;
    expect(ids((await api.get(`/v1/messages?label=search&${window}`)).json.items)).toEqual([made[3]?.id]);
    const created = `createdAtFrom=${detail.createdAt}&createdAtTo=${new Date(Date.parse(detail.createdAt) + 1).toISOString()}`;
    // One batch, one instant: all eight were created at the same millisecond.
    expect(ids((await api.get(`/v1/messages?${created}`)).json.items)).toEqual(ids(made));

    const tail = made[5]?.id.slice(-6).toLowerCase() as string;
    expect(ids((await api.get(`/v1/messages?idContains=${tail}`)).json.items)).toEqual([made[5]?.id]);
    const prefix = made[5]?.id as string;
    expect(ids((await api.get(`/v1/messages?idContains=${prefix}`)).json.items)).toEqual([prefix]);
  });

  it('pages forwards and back with nextCursor and previousCursor', async () => {
    const first = await api.get('/v1/messages?label=search&limit=3');
    expect(first.json.previousCursor).toBeNull();
    const second = await api.get(`/v1/messages?label=search&limit=3&cursor=${first.json.nextCursor}`);
    expect(ids(second.json.items)).toEqual(ids(made.slice(3, 6)));
    const third = await api.get(`/v1/messages?label=search&limit=3&cursor=${second.json.nextCursor}`);
    expect(ids(third.json.items)).toEqual(ids(made.slice(6)));
    const back = await api.get(`/v1/messages?label=search&limit=3&cursor=${third.json.previousCursor}`);
    expect(ids(back.json.items)).toEqual(ids(second.json.items));
    const top = await api.get(`/v1/messages?label=search&limit=3&cursor=${back.json.previousCursor}`);
    expect(ids(top.json.items)).toEqual(ids(first.json.items));
    expect(top.json.previousCursor).toBeNull();
  });

  it('answers a bad query with a 422 naming each parameter', async () => {
    const problems = async (query: string) => {
      const response = await api.get(`/v1/messages?${query}`);
      expect(response.status).toBe(422);
      return response.json.errors.map((e: { path: string }) => e.path);
    };
    expect(await problems('sendAtFrom=2026-12-02T00:00:00Z&sendAtTo=2026-12-01T00:00:00Z')).toEqual(['query.sendAtTo']);
    expect(await problems('status=failed,lost')).toEqual(['query.status.1']);
    expect(await problems('createdAtFrom=2026-12-01')).toEqual(['query.createdAtFrom']);
    expect(await problems('label=a,b&idContains=msg-1')).toEqual(['query.label', 'query.idContains']);
    expect(await problems('cursor=forged')).toEqual(['query.cursor']);
    expect(await problems('origin=message,robot')).toEqual(['query.origin.1']);
    // A parameter given twice would otherwise be read as its last value alone, without a word.
    expect(await problems('status=failed&status=queued')).toEqual(['query.status']);
    expect(await problems('limit=500&limit=5&label=a')).toEqual(['query.limit']);
    // An offset's + unencoded is read as a space: the answer says to write %2B, which is taken.
    const plus = await api.get('/v1/messages?sendAtFrom=2026-12-01T10:00:00+01:00');
    expect(plus.json.errors).toEqual([
      { path: 'query.sendAtFrom', message: expect.stringContaining('write it as %2B (2026-12-01T10:00:00%2B01:00)') },
    ]);
    expect((await api.get('/v1/messages?sendAtFrom=2026-12-01T10:00:00%2B01:00')).status).toBe(200);
  });
});
