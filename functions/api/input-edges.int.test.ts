/**
 * The API's input side at its edges, through the real handlers behind the local gateway on
 * dynalite, fauxqs and the scheduler emulator: size and header limits at create, batch and PATCH
 * with nothing stored; every field and route limit taken at it and refused one past it, the 422
 * naming the field and the number; a batch whose write fails part-way is never delivered; idempotency keys
 * bound to one request, batches included, under concurrency; redeliver counted like a create, and
 * made once by its Idempotency-Key, as retry now is; retry now of an attempt due already, its
 * ticket lost, sends it at once, not at the sweep, and so does a redeliver's repeat that finds its
 * round waiting, its first request's ticket lost.
 * Every tenant here is new, so "nothing stored" is an empty listing.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoMessageStore } from '@vigil/aws';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import type { Message, MessageStore } from '@vigil/core';
import {
  API_KEY_NAME_MAX_LENGTH,
  enqueueTickets,
  ENDPOINT_DESCRIPTION_MAX_LENGTH,
  ID_TEXT_MAX_LENGTH,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  LABEL_MAX_LENGTH,
  MAX_ATTEMPTS_LIMIT,
  MAX_BATCH,
  MAX_BODY_NESTING,
  MAX_BULK_IDS,
  MAX_CURSOR_LENGTH,
  MAX_DELAY_S,
  MAX_HEADERS,
  MAX_LABELS,
  MAX_METADATA_TAGS,
  MAX_PAGE_LIMIT,
  MAX_TIME_ZONE_LENGTH,
  MAX_URL_LENGTH,
  MessageIn,
  MESSAGE_TIMEOUT_MAX_MS,
  MESSAGE_TIMEOUT_MIN_MS,
  METADATA_KEY_MAX_LENGTH,
  METADATA_VALUE_MAX_LENGTH,
  parseExactJson,
  MAX_HEADER_BYTES,
  MAX_MESSAGE_BYTES,
  PLANS,
  redeliverMessageIdempotently,
  scheduleMessage,
  ticketFor,
  usageDate,
} from '@vigil/core';
import { handler as sweep } from '@vigil/functions/engine/sweep';
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { apiClient } from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';
import {
  newTenantApi,
  seedMonthlyScheduled,
  startTestStack,
  waitFor,
  waitForStatus,
} from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';
import { incompressibleText } from '../../test-support/messages';

let stack: LocalStack;
let receiver: Receiver;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  receiver = await startReceiverThread();
  stack = await startTestStack();
  db = documentClient(
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.runtime.config.endpoints.dynamodb,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
});
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
  await receiver?.stop();
});

const newTenant = (plan: 'free' | 'pro' = 'pro') => newTenantApi(stack, plan);

type Api = ReturnType<typeof apiClient>;
const listed = async (api: Api) => (await api.get('/v1/messages?limit=100')).json.items as Array<{ id: string }>;
const arrivalsAt = (prefix: string) => receiver.received.filter((r) => r.path.startsWith(prefix));
const pendingOf = async (tenantId: string) => {
  const refs = [];
  for await (const ref of stack.runtime.scheduling.store.pendingBefore(Number.MAX_SAFE_INTEGER)) {
    if (ref.tenantId === tenantId) refs.push(ref);
  }
  return refs;
};

/**
 * Once the message has failed `atLeast` attempts and waits to retry, its next attempt is moved
 * 10 minutes out (a retrying message may be rescheduled between attempts; refused with 409 while
 * an attempt is on its way), so nothing but a retry now makes one. Returns the message then.
 */
const parked = async (api: Api, id: string, atLeast: number) => {
  const until = Date.now() + 15_000;
  for (;;) {
    const { json } = await api.get(`/v1/messages/${id}`);
    if (json.status === 'retrying' && json.attempts >= atLeast) {
      const moved = await api.patch(`/v1/messages/${id}`, { delay: 600 });
      if (moved.status === 200) return moved.json;
    }
    if (Date.now() > until) throw new Error(`message ${id} is ${json.status} after ${json.attempts} attempts`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('one size rule and the header rules, before anything is written', () => {
  it('answers 413 naming the total and the limit for a message over 256 KiB in all, and stores nothing', async () => {
    const { api } = await newTenant();
    const url = `${receiver.url}/size`;
    const headers = { 'x-pad': 'h'.repeat(10_000) };
    const metadata = { note: 'm'.repeat(256) };
    const fixed = url.length + 'x-pad'.length + 10_000 + 'note'.length + 256;
    // The body alone is well under 256 KiB; with the rest, one byte over.
    const body = 'b'.repeat(MAX_MESSAGE_BYTES - fixed + 1);
    const over = await api.post('/v1/messages', { url, delay: 1, headers, metadata, body });
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toBe('application/problem+json');
    assertMatchesSchema('PayloadTooLargeProblem', over.json);
    expect(over.json.type).toBe('https://vigil.dev/problems/payload-too-large');
    expect(over.json.detail).toContain(`is ${MAX_MESSAGE_BYTES + 1} bytes`);
    expect(over.json.detail).toContain(`the limit is ${MAX_MESSAGE_BYTES} bytes (256 KiB)`);
    expect(await listed(api)).toEqual([]);

    const exact = await api.post('/v1/messages', { url, delay: 600, headers, metadata, body: body.slice(1) });
    expect(exact.status).toBe(201);
  });

  it('answers 415 to a body still compressed, saying to send it uncompressed, and stores nothing', async () => {
    const { api, apiKey } = await newTenant();
    const message = { url: `${receiver.url}/coded`, delay: 600 };
    const post = (body: RequestInit['body'], encoding: string) =>
      fetch(`${stack.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body,
      });

    const gzipped = await post(new Uint8Array(gzipSync(JSON.stringify(message))), 'gzip');
    // A body that reads as JSON is taken whatever the header says: API Gateway may have decompressed it.
    const decompressed = await post(JSON.stringify(message), 'gzip');

    expect(gzipped.status).toBe(415);
    expect(gzipped.headers.get('content-type')).toBe('application/problem+json');
    expect(gzipped.headers.get('accept-encoding')).toBe('identity');
    const problem = await gzipped.json();
    assertMatchesSchema('Problem', problem);
    expect(problem.detail).toBe('Content-Encoding gzip is not supported; send the body uncompressed.');
    expect(decompressed.status).toBe(201);
    const { id } = await decompressed.json();
    expect((await listed(api)).map((m) => m.id)).toEqual([id]);
  });

  it('answers 415 to a body declared in a charset other than UTF-8, which it would read wrong', async () => {
    const { apiKey } = await newTenant();
    const post = (type: string) =>
      fetch(`${stack.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': type },
        body: JSON.stringify({ url: `${receiver.url}/charset`, delay: 600, body: 'café' }),
      });

    const latin1 = await post('application/json; charset=ISO-8859-1');
    expect(latin1.status).toBe(415);
    const problem = await latin1.json();
    assertMatchesSchema('Problem', problem);
    expect(problem.detail).toBe(
      'Content-Type charset ISO-8859-1 is not supported; send the body as UTF-8 (charset=utf-8, or none).',
    );
    expect((await post('application/json; charset="UTF-8"')).status).toBe(201);
    expect((await post('application/json;charset=utf8')).status).toBe(201);
    // Types that only begin like JSON's are not JSON (a JSON text sequence, a list of two types).
    expect((await post('application/json-seq')).status).toBe(415);
    expect((await post('application/json, text/plain')).status).toBe(415);
    expect((await post('application/merge-patch+json')).status).toBe(201);
  });

  it('answers 422 naming the header for a reserved, unsendable, too many or too large headers', async () => {
    const { api } = await newTenant();
    const post = (headers: Record<string, string>) =>
      api.post('/v1/messages', { url: `${receiver.url}/h`, delay: 1, headers });
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ Upgrade: 'h2c' }, 'headers.Upgrade', /HTTP stack/],
      [{ 'proxy-authorization': 'Basic x' }, 'headers.proxy-authorization', /HTTP stack/],
      [{ expect: '100-continue' }, 'headers.expect', /HTTP stack/],
      [{ 'webhook-id': 'x' }, 'headers.webhook-id', /set by Vigil/],
      [{ 'x-name': 'Zoë Ā' }, 'headers.x-name', /U\+0100/],
      [{ 'x-emoji': '🎉' }, 'headers.x-emoji', /cannot be sent/],
      [{ 'x-del': 'a\x7fb' }, 'headers.x-del', /U\+007F/],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v'])), 'headers', /at most 50 headers/],
      [
        { 'x-a': 'a'.repeat(8_000), 'x-b': 'b'.repeat(MAX_HEADER_BYTES - 8_000) },
        'headers',
        /the limit is 16384 bytes \(16 KiB\)/,
      ],
    ];
    for (const [headers, path, message] of cases) {
      const response = await post(headers);
      expect(response.status, path).toBe(422);
      assertMatchesSchema('ValidationProblem', response.json);
      expect(response.json.errors, path).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
    expect(await listed(api)).toEqual([]);
  });

  it('answers a body of 15,000 mistakes with a small 422 listing the first 50 and how many more', async () => {
    const { api } = await newTenant();
    const unknown = Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`field${i}`, 0]));
    const response = await api.raw('POST', '/v1/messages', { url: `${receiver.url}/m`, delay: 1, ...unknown });
    expect(response.status).toBe(422);
    assertMatchesSchema('ValidationProblem', response.json);
    expect(response.json.errors).toHaveLength(51);
    expect(response.json.errors.at(-1)).toEqual({ path: '', message: 'and 14950 more problems not listed' });
    expect(JSON.stringify(response.json).length).toBeLessThan(8_000);
    expect(await listed(api)).toEqual([]);
  });

  it('refuses 500,000 unknown fields with a 413 naming the bound before parsing them (refusing each cost 1.5 s of CPU), on any route', async () => {
    const { api } = await newTenant();
    const fields = Array.from({ length: 500_000 }, (_, i) => `"${i.toString(36)}":0`).join(',');
    for (const path of ['/v1/messages', '/v1/messages/cancel', '/v1/keys']) {
      const response = await api.post(path, `{"url":"${receiver.url}/m","delay":1,${fields}}`);
      expect(response.status, path).toBe(413);
      assertMatchesSchema('Problem', response.json);
      expect(response.json.detail).toMatch(/more than 20,000 JSON values outside message bodies/);
    }
    // A batch's bodies may hold as many values as their size allows.
    const body = `[${Array(60_000).fill('0').join(',')}]`;
    const batch = `{"messages":[${Array.from({ length: 3 }, (_, n) => `{"url":"${receiver.url}/v/${n}","delay":600,"body":${body}}`).join(',')}]}`;
    expect((await api.post('/v1/messages/batch', batch)).status).toBe(201);
  });

  it('answers 422 for text with an unpaired surrogate, which DynamoDB could not store', async () => {
    const { api } = await newTenant();
    const raw = `{"url":"${receiver.url}/s","delay":1,"body":"x\\ud800","metadata":{"k":"\\udc00"}}`;
    const response = await api.post('/v1/messages', raw);
    expect(response.status).toBe(422);
    expect(response.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body', 'metadata.k']);
    expect(await listed(api)).toEqual([]);
  });

  it('refuses a batch with one oversized message with 413 naming messages.N, and stores none of it', async () => {
    const { api } = await newTenant();
    const ok = { url: `${receiver.url}/batch-size`, delay: 1 };
    const response = await api.post('/v1/messages/batch', {
      messages: [ok, { ...ok, body: 'x'.repeat(MAX_MESSAGE_BYTES) }, ok],
    });
    expect(response.status).toBe(413);
    assertMatchesSchema('PayloadTooLargeProblem', response.json);
    expect(response.json.detail).toMatch(/^messages\.1 is 262\d{3} bytes .* the limit is 262144 bytes/);
    expect(response.json.errors).toEqual([{ path: 'messages.1', message: expect.any(String) }]);
    expect(await listed(api)).toEqual([]);
  });

  it('answers a batch near the 6 MiB request limit, and its replay, in far less than the 6 MB a function may answer on AWS', async () => {
    const { api } = await newTenant();
    const messages = Array.from({ length: 100 }, (_, n) => ({
      url: `${receiver.url}/big-batch/${n}`,
      delay: 600,
      body: `${n}:${'q'.repeat(62_800)}`,
    }));
    const ids: string[][] = [];
    for (const expected of [201, 200]) {
      const response = await api.raw('POST', '/v1/messages/batch', { messages }, { 'idempotency-key': 'big' });
      expect(response.status).toBe(expected);
      expect(JSON.stringify(response.json).length).toBeLessThan(100_000);
      expect(response.json.items[0]).not.toHaveProperty('body');
      ids.push(response.json.items.map((m: { id: string }) => m.id));
    }
    expect(ids[1]).toEqual(ids[0]);
    // The bodies are stored all the same.
    expect((await api.get(`/v1/messages/${ids[0]![0]}`)).json.body).toBe(messages[0]!.body);
  });

  it('checks the message as it would be after a PATCH, and leaves it unchanged when refused', async () => {
    const { api } = await newTenant();
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/patch`,
      delay: 600,
      body: 'x'.repeat(MAX_MESSAGE_BYTES - 200),
    });
    const path = `/v1/messages/${created.json.id}`;
    const before = (await api.get(path)).json;
    const longer = await api.patch(path, { url: `${receiver.url}/patch/${'p'.repeat(300)}` });
    expect(longer.status).toBe(413);
    expect(longer.json.detail).toContain('the limit is 262144 bytes');
    const hopByHop = await api.patch(path, { headers: { te: 'trailers' } });
    expect(hopByHop.status).toBe(422);
    expect(hopByHop.json.errors).toEqual([{ path: 'headers.te', message: expect.stringMatching(/HTTP stack/) }]);
    expect((await api.get(path)).json).toEqual(before);
    await api.delete(path);
  });
});

describe('every limit a request is held to: taken at the limit, one past it a 422 naming the field and the limit', () => {
  /** A URL to the receiver, `length` characters long. */
  const urlOf = (length: number) => `${receiver.url}/${'u'.repeat(length - receiver.url.length - 1)}`;
  /** `count` entries `<prefix><n>` of `value`. */
  const entries = (count: number, prefix: string, value = 'v') =>
    Object.fromEntries(Array.from({ length: count }, (_, n) => [`${prefix}${n}`, value]));
  /** A body of arrays nested `levels` deep (`[]` is one level). */
  const nested = (levels: number): unknown => (levels === 0 ? 0 : [nested(levels - 1)]);

  it.each<[string, number, number, (n: number) => Record<string, unknown>, string, string]>([
    [
      'url',
      MAX_URL_LENGTH,
      MAX_URL_LENGTH + 1,
      (n) => ({ url: urlOf(n) }),
      'url',
      `at most ${MAX_URL_LENGTH} characters`,
    ],
    [
      'callback.url',
      MAX_URL_LENGTH,
      MAX_URL_LENGTH + 1,
      (n) => ({ callback: { url: urlOf(n), on: ['failed'] } }),
      'callback.url',
      `at most ${MAX_URL_LENGTH} characters`,
    ],
    [
      'headers',
      MAX_HEADERS,
      MAX_HEADERS + 1,
      (n) => ({ headers: entries(n, 'x-h') }),
      'headers',
      `at most ${MAX_HEADERS} headers`,
    ],
    [
      'metadata tags',
      MAX_METADATA_TAGS,
      MAX_METADATA_TAGS + 1,
      (n) => ({ metadata: entries(n, 'k') }),
      'metadata',
      `at most ${MAX_METADATA_TAGS} metadata tags`,
    ],
    [
      "a metadata tag's name",
      METADATA_KEY_MAX_LENGTH,
      METADATA_KEY_MAX_LENGTH + 1,
      (n) => ({ metadata: { ['k'.repeat(n)]: 'v' } }),
      `metadata.${'k'.repeat(METADATA_KEY_MAX_LENGTH + 1)}`,
      `at most ${METADATA_KEY_MAX_LENGTH} characters`,
    ],
    [
      "a metadata tag's value",
      METADATA_VALUE_MAX_LENGTH,
      METADATA_VALUE_MAX_LENGTH + 1,
      (n) => ({ metadata: { k: 'v'.repeat(n) } }),
      'metadata.k',
      `at most ${METADATA_VALUE_MAX_LENGTH} characters`,
    ],
    [
      'labels',
      MAX_LABELS,
      MAX_LABELS + 1,
      (n) => ({ labels: Object.keys(entries(n, 'l')) }),
      'labels',
      `at most ${MAX_LABELS} labels`,
    ],
    [
      'a label',
      LABEL_MAX_LENGTH,
      LABEL_MAX_LENGTH + 1,
      (n) => ({ labels: ['l'.repeat(n)] }),
      'labels.0',
      `1 to ${LABEL_MAX_LENGTH} letters`,
    ],
    [
      'retry.maxAttempts',
      MAX_ATTEMPTS_LIMIT,
      MAX_ATTEMPTS_LIMIT + 1,
      (n) => ({ retry: { maxAttempts: n } }),
      'retry.maxAttempts',
      `at most ${MAX_ATTEMPTS_LIMIT}`,
    ],
    [
      'timeoutMs at its longest',
      MESSAGE_TIMEOUT_MAX_MS,
      MESSAGE_TIMEOUT_MAX_MS + 1,
      (n) => ({ timeoutMs: n }),
      'timeoutMs',
      `at most ${MESSAGE_TIMEOUT_MAX_MS}`,
    ],
    [
      'timeoutMs at its shortest',
      MESSAGE_TIMEOUT_MIN_MS,
      MESSAGE_TIMEOUT_MIN_MS - 1,
      (n) => ({ timeoutMs: n }),
      'timeoutMs',
      `at least ${MESSAGE_TIMEOUT_MIN_MS}`,
    ],
    [
      'delay',
      MAX_DELAY_S,
      MAX_DELAY_S + 1,
      (n) => ({ delay: n }),
      'delay',
      `at most ${MAX_DELAY_S.toLocaleString('en-US')} seconds`,
    ],
    [
      "a JSON body's nesting",
      MAX_BODY_NESTING,
      MAX_BODY_NESTING + 1,
      (n) => ({ body: nested(n) }),
      'body',
      `more than ${MAX_BODY_NESTING} levels`,
    ],
  ])('a message: %s', async (_what, limit, past, field, path, words) => {
    const { api } = await newTenant();
    const message = (n: number) => ({ url: `${receiver.url}/limits`, delay: 3_600, ...field(n) });

    const taken = await api.post('/v1/messages', message(limit));
    const refused = await api.post('/v1/messages', message(past));

    expect(taken.status, taken.text.slice(0, 300)).toBe(201);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    assertMatchesSchema('ValidationProblem', refused.json);
    expect(refused.json.errors).toEqual([{ path, message: expect.stringContaining(words) }]);
    expect(await listed(api)).toHaveLength(1);
  });

  it(`a message's timezone: ${MAX_TIME_ZONE_LENGTH} characters looked up as a zone (no IANA name is so long: unknown), one more refused by its length`, async () => {
    const { api } = await newTenant();
    const message = (timezone: string) => ({ url: `${receiver.url}/limits`, sendAt: '2030-01-01T09:00:00', timezone });
    const atLimit = 'x'.repeat(MAX_TIME_ZONE_LENGTH);

    const looked = await api.post('/v1/messages', message(atLimit));
    const refused = await api.post('/v1/messages', message('x'.repeat(MAX_TIME_ZONE_LENGTH + 1)));

    expect(looked.status).toBe(422);
    expect(looked.json.errors).toEqual([
      { path: 'timezone', message: expect.stringContaining(`unknown time zone "${atLimit}"`) },
    ]);
    expect(refused.status).toBe(422);
    assertMatchesSchema('ValidationProblem', refused.json);
    expect(refused.json.errors).toEqual([
      { path: 'timezone', message: expect.stringContaining(`at most ${MAX_TIME_ZONE_LENGTH} characters`) },
    ]);
    expect(await listed(api)).toHaveLength(0);
  });

  it('the other routes: a batch, a listing, an Idempotency-Key, bulk ids, a key name, an endpoint description', async () => {
    const { api } = await newTenant();
    const one = { url: `${receiver.url}/limits`, delay: 3_600 };
    const batchOf = (n: number) => ({ messages: Array.from({ length: n }, () => one) });
    const urlPrefix = (n: number) => encodeURIComponent(`${receiver.url}/${'u'.repeat(n - receiver.url.length - 1)}`);
    const id = (n: number) => `msg_${n.toString().padStart(26, '0')}`;
    /** The 422's one error, or the status when it is no 422. */
    const problem = async (answer: Promise<{ status: number; json?: { errors?: unknown[] } }>) => {
      const { status, json } = await answer;
      if (status !== 422) return status;
      assertMatchesSchema('ValidationProblem', json);
      return json!.errors;
    };
    const only = (path: string, words: string) => [{ path, message: expect.stringContaining(words) }];
    const keysBefore = (await api.get('/v1/keys')).json.items.length;

    // Taken at the limit.
    expect((await api.post('/v1/messages/batch', batchOf(MAX_BATCH))).status).toBe(201);
    expect((await api.get(`/v1/messages?limit=${MAX_PAGE_LIMIT}`)).json.items).toHaveLength(MAX_PAGE_LIMIT);
    expect((await api.get(`/v1/messages?idContains=${'0'.repeat(ID_TEXT_MAX_LENGTH)}`)).status).toBe(200);
    expect((await api.get(`/v1/messages?urlPrefix=${urlPrefix(MAX_URL_LENGTH)}`)).status).toBe(200);
    const keyAtLimit = { 'idempotency-key': 'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH) };
    expect((await api.post('/v1/messages', one, keyAtLimit)).status).toBe(201);
    expect((await api.post('/v1/keys', { name: 'n'.repeat(API_KEY_NAME_MAX_LENGTH) })).status).toBe(201);
    const endpoint = { url: `${receiver.url}/events`, description: 'd'.repeat(ENDPOINT_DESCRIPTION_MAX_LENGTH) };
    expect((await api.post('/v1/notification-endpoints', endpoint)).status).toBe(201);

    // One past it.
    expect(await problem(api.post('/v1/messages/batch', batchOf(MAX_BATCH + 1)))).toEqual(
      only('messages', `at most ${MAX_BATCH} items`),
    );
    expect(await problem(api.get(`/v1/messages?limit=${MAX_PAGE_LIMIT + 1}`))).toEqual(
      only('query.limit', `at most ${MAX_PAGE_LIMIT}`),
    );
    expect(await problem(api.get(`/v1/messages?idContains=${'0'.repeat(ID_TEXT_MAX_LENGTH + 1)}`))).toEqual(
      only('query.idContains', `1 to ${ID_TEXT_MAX_LENGTH} letters`),
    );
    expect(await problem(api.get(`/v1/messages?urlPrefix=${urlPrefix(MAX_URL_LENGTH + 1)}`))).toEqual(
      only('query.urlPrefix', `at most ${MAX_URL_LENGTH} characters`),
    );
    expect(await problem(api.get(`/v1/messages?cursor=${'c'.repeat(MAX_CURSOR_LENGTH + 1)}`))).toEqual(
      only('query.cursor', `at most ${MAX_CURSOR_LENGTH} characters`),
    );
    expect(await problem(api.get(`/v1/jobs?cursor=${'c'.repeat(MAX_CURSOR_LENGTH + 1)}`))).toEqual(
      only('query.cursor', `at most ${MAX_CURSOR_LENGTH} characters`),
    );
    const keyPastLimit = { 'idempotency-key': 'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH + 1) };
    expect(await problem(api.post('/v1/messages', one, keyPastLimit))).toEqual(
      only('Idempotency-Key', `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`),
    );
    const ids = Array.from({ length: MAX_BULK_IDS + 1 }, (_, n) => id(n));
    expect(await problem(api.post('/v1/messages/cancel', { ids }))).toEqual(only('ids', `at most ${MAX_BULK_IDS} ids`));
    expect(await problem(api.post('/v1/keys', { name: 'n'.repeat(API_KEY_NAME_MAX_LENGTH + 1) }))).toEqual(
      only('name', `at most ${API_KEY_NAME_MAX_LENGTH} characters`),
    );
    const longer = { ...endpoint, description: 'd'.repeat(ENDPOINT_DESCRIPTION_MAX_LENGTH + 1) };
    expect(await problem(api.post('/v1/notification-endpoints', longer))).toEqual(
      only('description', `at most ${ENDPOINT_DESCRIPTION_MAX_LENGTH} characters`),
    );
    // Nothing of the refused ones was made: the batch's and the keyed create's messages alone, one key more, one endpoint.
    const first = (await api.get(`/v1/messages?limit=${MAX_PAGE_LIMIT}`)).json;
    const rest = (await api.get(`/v1/messages?limit=${MAX_PAGE_LIMIT}&cursor=${first.nextCursor}`)).json;
    expect(first.items.length + rest.items.length).toBe(MAX_BATCH + 1);
    expect((await api.get('/v1/keys')).json.items).toHaveLength(keysBefore + 1);
    expect((await api.get('/v1/notification-endpoints')).json.items).toHaveLength(1);
  });
});

describe('a request the gateway cannot read', () => {
  /**
   * Sends raw bytes to the stack's port and reads the whole answer; `halfClose: false` keeps this
   * side open after them, as a client waiting for its answer does.
   */
  const raw = (bytes: string, { halfClose = true } = {}) =>
    new Promise<string>((resolve, reject) => {
      const { port } = new URL(stack.url);
      const socket = connect(Number(port), '127.0.0.1', () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers a head over 16 KiB with 431 and one that is not HTTP with 400, each a problem document', async () => {
    const tooLarge = await fetch(`${stack.url}/v1/messages`, { headers: { 'x-pad': 'p'.repeat(20_000) } });
    expect(tooLarge.status).toBe(431);
    expect(tooLarge.headers.get('content-type')).toBe('application/problem+json');
    assertMatchesSchema('Problem', await tooLarge.json());

    const notHttp = await raw('HELLO there\r\n\r\n');
    expect(notHttp).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(notHttp.slice(notHttp.indexOf('\r\n\r\n') + 4));
    assertMatchesSchema('Problem', body);
    expect(body.detail).toContain('not valid HTTP');
  });

  it('reads a target starting with // as the path it is (no route), never as a host, and never answers 500', async () => {
    const statusOf = async (target: string) =>
      /^HTTP\/1\.1 (\d+)/.exec(await raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))?.[1];
    expect(await statusOf('//[')).toBe('404');
    expect(await statusOf('//a:99999/v1/usage')).toBe('404');
    expect(await statusOf('//anything/v1/usage')).toBe('404');
    expect(await statusOf('*')).toBe('400');
  });

  it('answers a create sent with Connection: close and then stray bytes with its own 201, not a 400 (it was stored all the same)', async () => {
    const { api, apiKey } = await newTenant();
    const body = JSON.stringify({ url: `${receiver.url}/stray`, delay: 3_600 });
    const answer = await raw(
      `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}xyz`,
      { halfClose: false },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(await listed(api)).toHaveLength(1);
  });

  it('answers a request without a valid key 401 at once, before its body arrives (an upload held meanwhile cost memory)', async () => {
    const started = Date.now();
    // The head and a little of a 6 MB body; the answer's head is read as soon as it comes.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(stack.url).port), '127.0.0.1', () =>
        socket.write(
          `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vgl_${'W'.repeat(43)}\r\n` +
            `Content-Type: application/json\r\nContent-Length: 6000000\r\n\r\n{"url":`,
        ),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 400 to a body that is not UTF-8, and stores nothing (it was stored with U+FFFD for the bad bytes)', async () => {
    const { api, apiKey } = await newTenant();
    const text = (bad: string) => `{"url":"${receiver.url}/utf8","delay":3600,"metadata":{"k":"${bad}"}}`;
    const response = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from(text('').slice(0, -3)), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]),
    });
    expect(response.status).toBe(400);
    const problem = await response.json();
    assertMatchesSchema('Problem', problem);
    expect(problem.detail).toBe('The body is not valid UTF-8: JSON is UTF-8 text (RFC 8259).');
    expect(await listed(api)).toEqual([]);
  });
});

/** Requests with `apiKey`, their bodies sent as the text given and their answers read as text. */
const rawApi = (apiKey: string) => async (method: string, path: string, text?: string) => {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: text,
  });
  return { status: response.status, text: await response.text() };
};

describe('a JSON body goes out as it was written', () => {
  /** Numbers a double would not write back the same: an int64 id, an exponent, a signed zero, trailing zeros, an overflow. */
  const WRITTEN = '{"id":12345678901234567890,"e":1E2,"z":-0,"price":0.10,"big":1e999,"list":[1,2.5]}';

  it('delivers, stores and shows every number as written: a create, a batch and a PATCH', async () => {
    const { apiKey } = await newTenant();
    const raw = rawApi(apiKey);
    const url = `${receiver.url}/exact`;
    const created = await raw('POST', '/v1/messages', `{"url":"${url}","delay":1.50,"body":${WRITTEN}}`);
    expect(created.status).toBe(201);
    expect(created.text).toContain(`"body":${WRITTEN}`);
    const { id } = JSON.parse(created.text);
    expect((await raw('GET', `/v1/messages/${id}`)).text).toContain(`"body":${WRITTEN}`);
    await receiver.waitFor((all) => all.some((r) => r.path === '/exact'), 10_000);
    expect(arrivalsAt('/exact').map((r) => r.body)).toEqual([WRITTEN]);

    const batch = await raw(
      'POST',
      '/v1/messages/batch',
      `{"messages":[{"url":"${url}","delay":600,"body":${WRITTEN}}]}`,
    );
    expect(batch.status).toBe(201);
    const batched = JSON.parse(batch.text).items[0].id;
    expect((await raw('GET', `/v1/messages/${batched}`)).text).toContain(`"body":${WRITTEN}`);
    const patched = await raw('PATCH', `/v1/messages/${batched}`, '{"body":[1.0,-0]}');
    expect(patched.status).toBe(200);
    expect(patched.text).toContain('"body":[1.0,-0]');
  });

  /** Bodies as a tenant writes them, spaced, and as a receiver gets them: the same bytes but for the whitespace between tokens. */
  const ORDERED = { sent: '{"b":1,"1":2}', delivered: '{"b":1,"1":2}' };
  const NESTED = {
    sent: '{ "z" : { "10" : "caf\\u00e9 \\ud83d\\ude00 \\/ a  b", "2" : [ { "1" : 12345678901234567890, "0" : 1.0 } ] },\n  "a" : "tab\\tquote\\"" , "a" : 2 }',
    delivered:
      '{"z":{"10":"caf\\u00e9 \\ud83d\\ude00 \\/ a  b","2":[{"1":12345678901234567890,"0":1.0}]},"a":"tab\\tquote\\"","a":2}',
  };

  it('delivers a body byte for byte as sent (names like "1" where they were, escapes, a name given twice), signed over those bytes, and shows it so', async () => {
    const { api, apiKey } = await newTenant();
    const secret = (await api.get('/v1/signing-secret')).json.secret as string;
    const raw = rawApi(apiKey);
    const url = (path: string) => `${receiver.url}/as-sent/${path}`;
    const ordered = await raw('POST', '/v1/messages', `{"url":"${url('ordered')}","delay":0,"body":${ORDERED.sent}}`);
    expect(ordered.status).toBe(201);
    expect(ordered.text).toContain(`"body":${ORDERED.delivered}`);
    const batch = await raw(
      'POST',
      '/v1/messages/batch',
      `{"messages":[{"url":"${url('nested')}","delay":0,"body":${NESTED.sent}},{"url":"${url('patched')}","delay":600,"body":{}}]}`,
    );
    expect(batch.status).toBe(201);
    const [nested, patched] = (JSON.parse(batch.text).items as Array<{ id: string }>).map((m) => m.id);
    const patch = await raw(
      'PATCH',
      `/v1/messages/${patched}`,
      `{"sendAt":"${new Date().toISOString()}","body":${NESTED.sent}}`,
    );
    expect(patch.status).toBe(200);
    expect(patch.text).toContain(`"body":${NESTED.delivered}`);
    expect((await raw('GET', `/v1/messages/${nested}`)).text).toContain(`"body":${NESTED.delivered}`);

    const arrived = await receiver.waitFor(
      (all) => all.filter((r) => r.path.startsWith('/as-sent/')).length >= 3,
      15_000,
    );
    const bodyAt = (path: string) => arrived.filter((r) => r.path === `/as-sent/${path}`).map((r) => r.body);
    expect(bodyAt('ordered')).toEqual([ORDERED.delivered]);
    expect(bodyAt('nested')).toEqual([NESTED.delivered]);
    expect(bodyAt('patched')).toEqual([NESTED.delivered]);
    for (const arrival of arrived.filter((r) => r.path.startsWith('/as-sent/'))) {
      expect(() => new Webhook(secret).verify(arrival.body, arrival.headers as Record<string, string>)).not.toThrow();
    }
  });
});

describe("a message's body as it is sent (GET /v1/messages/{id}/body)", () => {
  it('answers a JSON body byte for byte as the receiver gets it: names like "1" where they were, escapes, a 20-digit number', async () => {
    const { api, apiKey } = await newTenant();
    const create = async (path: string, body: string) => {
      const response = await rawApi(apiKey)(
        'POST',
        '/v1/messages',
        `{"url":"${receiver.url}/body-route/${path}","delay":0,"body":${body}}`,
      );
      expect(response.status).toBe(201);
      return (JSON.parse(response.text) as { id: string }).id;
    };
    const NESTED = {
      sent: '{ "z" : { "10" : "caf\\u00e9 \\/" , "2" : [ { "1" : 12345678901234567890, "0" : 1.0 } ] }, "a" : 1, "a" : 2 }',
      delivered: '{"z":{"10":"caf\\u00e9 \\/","2":[{"1":12345678901234567890,"0":1.0}]},"a":1,"a":2}',
    };
    const ordered = await create('ordered', ' {"b" : 1, "1" : 2} ');
    const nested = await create('nested', NESTED.sent);

    const orderedBody = await api.get(`/v1/messages/${ordered}/body`);
    expect(orderedBody.status).toBe(200);
    expect(orderedBody.text).toBe('{"b":1,"1":2}');
    expect(orderedBody.headers.get('content-type')).toBe('application/json');
    expect(orderedBody.headers.get('x-content-type-options')).toBe('nosniff');
    const nestedBody = await api.get(`/v1/messages/${nested}/body`);
    expect(nestedBody.text).toBe(NESTED.delivered);
    expect(nestedBody.text).toContain('"caf\\u00e9');
    expect(nestedBody.text).toContain('12345678901234567890');

    // What the receiver got, and what the attempt says it sent, agree with it.
    await receiver.waitFor((all) => all.filter((r) => r.path.startsWith('/body-route/')).length >= 2, 15_000);
    for (const [id, path, text] of [
      [ordered, 'ordered', orderedBody.text],
      [nested, 'nested', nestedBody.text],
    ] as const) {
      expect(arrivalsAt(`/body-route/${path}`).map((r) => r.body)).toEqual([text]);
      const attempts = await waitFor(
        () => api.get(`/v1/messages/${id}/attempts`),
        ({ json }) => json.items.length === 1,
      );
      expect(attempts.json.items[0].sentHeaders['content-length']).toBe(String(Buffer.byteLength(text)));
    }
  });

  it('answers a string body as text in the type it is sent with (its own, if the message sets one), and 204 for a message without a body', async () => {
    const { api } = await newTenant();
    const create = async (message: Record<string, unknown>) =>
      (await api.post('/v1/messages', { url: `${receiver.url}/body-route/text`, delay: 600, ...message })).json
        .id as string;
    const text = await api.get(`/v1/messages/${await create({ body: 'caf\u00e9 {"b":1,"1":2}' })}/body`);
    expect([text.status, text.headers.get('content-type'), text.text]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'café {"b":1,"1":2}',
    ]);
    const own = await api.get(
      `/v1/messages/${await create({ body: '<a/>', headers: { 'Content-Type': 'application/xml' } })}/body`,
    );
    expect([own.status, own.headers.get('content-type'), own.text]).toEqual([200, 'application/xml', '<a/>']);
    const empty = await api.get(`/v1/messages/${await create({ body: '' })}/body`);
    expect([empty.status, empty.text]).toEqual([200, '']);
    const none = await api.get(`/v1/messages/${await create({})}/body`);
    expect([none.status, none.text]).toEqual([204, '']);
  });

  it("answers 404 with a problem document for a message that does not exist, or is another tenant's", async () => {
    const { api } = await newTenant();
    const other = await newTenant();
    const theirs = (await other.api.post('/v1/messages', { url: `${receiver.url}/x`, delay: 600, body: { a: 1 } })).json
      .id as string;
    for (const id of ['msg_01JAAAAAAAAAAAAAAAAAAAAAAA', theirs]) {
      const missing = await api.get(`/v1/messages/${id}/body`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toBe('application/problem+json');
      expect(missing.json.type).toBe('https://vigil.dev/problems/not-found');
    }
  });
});

describe('changes made at once', () => {
  it('keeps every PATCH it answered 200, each written over the others, and delivers the message as changed', async () => {
    const { api } = await newTenant();
    // Due well after the changes, so none meets the message taken (a 409 of its state, which a
    // loaded machine reached with 4 s); then sent now, to see it delivered as changed.
    const { json: created } = await api.post('/v1/messages', {
      url: `${receiver.url}/at-once/0`,
      delay: 600,
      body: {},
    });
    const changes = [
      { url: `${receiver.url}/at-once/1` },
      { method: 'PUT' },
      { headers: { 'x-team': 'blue' } },
      { metadata: { order: '42' } },
      { labels: ['changed'] },
      { body: { step: 2 } },
    ];
    const answers = await Promise.all(changes.map((change) => api.patch(`/v1/messages/${created.id}`, change)));
    // A change that lost every try to the others is refused whole (409), never half applied, and
    // told to be sent again (Retry-After, which @vigil/client takes as leave to retry).
    expect(answers.map((a) => a.status).every((s) => s === 200 || s === 409)).toBe(true);
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.headers.get('retry-after')).toBe('1');
    const applied = changes.filter((_, i) => answers[i]!.status === 200);
    expect(applied.length).toBeGreaterThanOrEqual(2);
    const { json: stored } = await api.get(`/v1/messages/${created.id}`);
    for (const change of applied) expect(stored).toMatchObject(change);

    expect((await api.patch(`/v1/messages/${created.id}`, { delay: 0 })).status).toBe(200);
    const delivered = await waitForStatus(api, created.id, 'delivered');
    expect(delivered.attempts).toBe(1);
    const was = (field: string) => applied.some((change) => field in change);
    const arrived = arrivalsAt(was('url') ? '/at-once/1' : '/at-once/0');
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.method).toBe(was('method') ? 'PUT' : 'POST');
    expect(JSON.parse(arrived[0]!.body)).toEqual(was('body') ? { step: 2 } : {});
    expect(arrived[0]!.headers['x-team']).toBe(was('headers') ? 'blue' : undefined);
  });
});

describe('a batch is all or nothing, even when a write fails part-way', () => {
  /** The real store on the stack's dynalite, except that its third insert is over DynamoDB's item limit. */
  class ThirdWriteRefused extends DynamoMessageStore {
    inserts = 0;
    override insert(message: Message): Promise<void> {
      this.inserts += 1;
      return super.insert(this.inserts === 3 ? { ...message, body: incompressibleText(410_000) } : message);
    }
  }
  let realStore: MessageStore;
  const failThirdWrite = () => {
    realStore = stack.runtime.scheduling.store;
    const failing = new ThirdWriteRefused(db, stack.runtime.config.table, stack.runtime.config.indexShards);
    stack.runtime.scheduling.store = failing;
    return failing;
  };
  afterEach(() => {
    if (realStore) stack.runtime.scheduling.store = realStore;
  });

  it('answers 500 having removed what it wrote: nothing of the batch is listed, pending or ever delivered', async () => {
    const { tenantId, api } = await newTenant();
    const failing = failThirdWrite();
    const messages = Array.from({ length: 6 }, (_, i) => ({ url: `${receiver.url}/rollback/${i}`, delay: 1 }));
    const response = await api.post('/v1/messages/batch', { messages });
    expect(failing.inserts).toBeGreaterThanOrEqual(3);
    expect(response.status).toBe(500);
    assertMatchesSchema('Problem', response.json);
    stack.runtime.scheduling.store = realStore;

    expect(await listed(api)).toEqual([]);
    expect(await pendingOf(tenantId)).toEqual([]);
    // Even a sweep that looks 15 minutes ahead finds nothing of it, and its due time passes quietly.
    await sweep({ lookAheadS: 900 });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(arrivalsAt('/rollback/')).toEqual([]);
  });

  it('lets the client retry a failed batch with the same Idempotency-Key: it then succeeds once', async () => {
    const { api } = await newTenant();
    const messages = Array.from({ length: 4 }, (_, i) => ({ url: `${receiver.url}/retried/${i}`, delay: 1 }));
    const key = { 'idempotency-key': 'batch-retry-1' };
    failThirdWrite();
    expect((await api.post('/v1/messages/batch', { messages }, key)).status).toBe(500);
    stack.runtime.scheduling.store = realStore;
    expect(await listed(api)).toEqual([]);

    const retry = await api.post('/v1/messages/batch', { messages }, key);
    expect(retry.status).toBe(201);
    assertMatchesSchema('MessageBatchOut', retry.json);
    const again = await api.post('/v1/messages/batch', { messages }, key);
    expect(again.status).toBe(200);
    const ids = retry.json.items.map((m: { id: string }) => m.id);
    expect(again.json.items.map((m: { id: string }) => m.id)).toEqual(ids);
    expect((await listed(api)).map((m) => m.id).sort()).toEqual([...ids].sort());
    await receiver.waitFor(() => arrivalsAt('/retried/').length >= 4, 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(
      arrivalsAt('/retried/')
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual([...ids].sort());
  });
});

describe('idempotency keys', () => {
  it('answers 422 idempotency-key-reused for the same key with a different request, naming the key', async () => {
    const { api } = await newTenant();
    const body = { url: `${receiver.url}/idem`, delay: 600, body: { order: 42 } };
    const first = await api.post('/v1/messages', body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    const same = await api.post('/v1/messages', { ...body, method: 'POST' }, { 'idempotency-key': 'order-42' });
    expect(same.status).toBe(200);
    expect(same.json.id).toBe(first.json.id);
    const different = await api.post('/v1/messages', { ...body, delay: 60 }, { 'idempotency-key': 'order-42' });
    expect(different.status).toBe(422);
    assertMatchesSchema('Problem', different.json);
    expect(different.json.type).toBe('https://vigil.dev/problems/idempotency-key-reused');
    expect(different.json.detail).toContain('"order-42"');
    const otherRoute = await api.post('/v1/messages/batch', { messages: [body] }, { 'idempotency-key': 'order-42' });
    expect(otherRoute.status).toBe(422);
    expect((await listed(api)).map((m) => m.id)).toEqual([first.json.id]);
  });

  it('answers the repeat of a request whose key was bound before 2026-12 (a sha256: fingerprint of its body read into values) with the message it made, as documented', async () => {
    const { tenantId, api } = await newTenant();
    const request = (body: string) => `{"url":"${receiver.url}/idem-former","delay":600,"body":${body}}`;
    // Bound as the code before 2026-12 bound it, on this stack's store: its body read into values.
    const before = await scheduleMessage(
      stack.runtime.scheduling,
      tenantId,
      MessageIn.parse(parseExactJson(request('{"b":1,"1":12345678901234567890}'))),
      'former-key',
    );
    const { Items } = await db.send(
      new ScanCommand({
        TableName: stack.runtime.config.table,
        FilterExpression: 'sk = :sk',
        ExpressionAttributeValues: { ':sk': 'I#former-key' },
      }),
    );
    expect(Items?.map((item) => String(item.fingerprint).replace(/[0-9a-f]{64}$/, ''))).toEqual(['sha256:']);

    const post = (body: string) => api.raw('POST', '/v1/messages', request(body), { 'idempotency-key': 'former-key' });
    const repeat = await post('{ "b": 1, "1": 12345678901234567890 }');
    expect(repeat.status).toBe(200);
    expect(repeat.json.id).toBe(before.message.id);
    expect((await post('{"b":2}')).status).toBe(422);
    expect((await listed(api)).map((m) => m.id)).toEqual([before.message.id]);
  });

  it('reads a repeated Idempotency-Key header by its last value, as API Gateway hands it over', async () => {
    const { apiKey, api } = await newTenant();
    const body = JSON.stringify({ url: `${receiver.url}/idem-twice`, delay: 600 });
    // Two header lines of one name (fetch would join them into one).
    const created = await new Promise<{ status: number; json: { id: string } }>((resolve, reject) => {
      const req = request(`${stack.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': ['first-key', 'last-key'],
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      });
      req.end(body);
    });
    expect(created.status).toBe(201);

    const again = await api.post('/v1/messages', JSON.parse(body), { 'idempotency-key': 'last-key' });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(created.json.id);
    expect((await api.post('/v1/messages', JSON.parse(body), { 'idempotency-key': 'first-key' })).status).toBe(201);
  });

  it('refuses a key with characters outside printable ASCII with a 400 saying so, without echoing its garbled bytes', async () => {
    const { apiKey, api } = await newTenant();
    const body = JSON.stringify({ url: `${receiver.url}/idem-cyrillic`, delay: 600 });
    // A 130-character Cyrillic key, sent as curl sends it: its UTF-8 bytes (fetch refuses such a header).
    const cyrillic = 'ключ'.repeat(32) + 'ок';
    const sent = await new Promise<{ status: number; text: string; type: string }>((resolve, reject) => {
      const req = request(`${stack.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': Buffer.from(cyrillic, 'utf8').toString('latin1'),
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, type: String(res.headers['content-type']) }));
      });
      req.end(body);
    });
    expect(cyrillic).toHaveLength(130);
    expect(sent.status).toBe(400);
    expect(sent.type).toBe('application/problem+json');
    const problem = JSON.parse(sent.text);
    assertMatchesSchema('Problem', problem);
    expect(problem.detail).toMatch(/Idempotency-Key header holds a character outside printable ASCII/);
    expect(problem.detail).not.toContain('Ð'); // what its bytes read as in Latin-1
    // A tab is no printable character either; a key of 255 printable ones is taken.
    expect((await api.post('/v1/messages', JSON.parse(body), { 'idempotency-key': 'a\tb' })).status).toBe(400);
    expect((await api.post('/v1/messages', JSON.parse(body), { 'idempotency-key': '~'.repeat(255) })).status).toBe(201);
    expect(await listed(api)).toHaveLength(1);
  });

  it('honours the key for a batch as a whole: a repeated batch returns the same messages and stores nothing new', async () => {
    const { api } = await newTenant();
    const messages = [1, 2].map((n) => ({ url: `${receiver.url}/idem-batch/${n}`, delay: 600 }));
    const first = await api.post('/v1/messages/batch', { messages }, { 'idempotency-key': 'b-1' });
    const second = await api.post('/v1/messages/batch', { messages }, { 'idempotency-key': 'b-1' });
    expect([first.status, second.status]).toEqual([201, 200]);
    assertMatchesSchema('MessageBatchOut', second.json);
    expect(second.json.items.map((m: { id: string }) => m.id)).toEqual(
      first.json.items.map((m: { id: string }) => m.id),
    );
    expect(await listed(api)).toHaveLength(2);
    const changed = await api.post('/v1/messages/batch', { messages: messages.slice(1) }, { 'idempotency-key': 'b-1' });
    expect(changed.status).toBe(422);
    expect(await listed(api)).toHaveLength(2);
  });

  it('makes exactly one message of ten concurrent requests with one key, and one batch of ten concurrent batches', async () => {
    const { api } = await newTenant();
    const body = { url: `${receiver.url}/concurrent`, delay: 600 };
    const singles = await Promise.all(
      Array.from({ length: 10 }, () => api.post('/v1/messages', body, { 'idempotency-key': 'same-1' })),
    );
    expect(singles.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(singles.map((r) => r.json.id)).size).toBe(1);
    expect(await listed(api)).toHaveLength(1);

    const messages = [1, 2, 3].map((n) => ({ url: `${receiver.url}/concurrent/${n}`, delay: 600 }));
    const batches = await Promise.all(
      Array.from({ length: 10 }, () => api.post('/v1/messages/batch', { messages }, { 'idempotency-key': 'same-b' })),
    );
    expect(batches.filter((r) => r.status === 201)).toHaveLength(1);
    expect(batches.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(batches.map((r) => r.json.items.map((m: { id: string }) => m.id).join()))).toHaveLength(1);
    expect(await listed(api)).toHaveLength(4);
  });
});

describe('redeliver counts like a create', () => {
  const todayUsage = async (api: Api) => {
    const { json } = await api.get('/v1/usage');
    return json.days.find((d: { date: string }) => d.date === usageDate(Date.now())) ?? { scheduled: 0 };
  };
  const waitForScheduled = async (api: Api, count: number) => {
    const until = Date.now() + 15_000;
    for (;;) {
      const today = await todayUsage(api);
      if (today.scheduled === count) return today;
      if (Date.now() > until) throw new Error(`scheduled is ${today.scheduled}, not ${count}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('adds one to the scheduled usage for each of N redelivers', async () => {
    const { api } = await newTenant();
    const created = await api.post('/v1/messages', { url: `${receiver.url}/redeliver-usage`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered');
    await waitForScheduled(api, 1);
    for (let n = 1; n <= 3; n += 1) {
      expect((await api.post(`/v1/messages/${created.json.id}/redeliver`)).status).toBe(202);
      await waitForStatus(api, created.json.id, 'delivered');
    }
    await waitForScheduled(api, 4);
    expect(arrivalsAt('/redeliver-usage')).toHaveLength(4);
  });

  it('redelivers once for a repeated Idempotency-Key, even after that round ended: the repeat answers 200 with the message', async () => {
    const { api } = await newTenant();
    const created = await api.post('/v1/messages', { url: `${receiver.url}/redeliver-keyed`, delay: 0 });
    const other = await api.post('/v1/messages', { url: `${receiver.url}/keyed-other-message`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered');
    await waitForStatus(api, other.json.id, 'delivered');
    const path = `/v1/messages/${created.json.id}/redeliver`;
    const key = { 'idempotency-key': 'redeliver-once' };

    const first = await api.post(path, undefined, key);
    expect(first.status).toBe(202);
    assertMatchesSchema('MessageOutWithoutBody', first.json);
    // The repeat of a click whose answer came too late: while the round runs, and after it ended.
    const during = await api.post(path, undefined, key);
    expect([during.status, during.json.id]).toEqual([200, created.json.id]);
    await waitForStatus(api, created.json.id, 'delivered');
    const after = await api.post(path, undefined, key);
    expect([after.status, after.json.id, after.json.status]).toEqual([200, created.json.id, 'delivered']);
    await waitForScheduled(api, 3);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt('/redeliver-keyed')).toHaveLength(2);

    // The key is bound to its message: on another one it is refused, and nothing is redelivered.
    const elsewhere = await api.post(`/v1/messages/${other.json.id}/redeliver`, undefined, key);
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.json.type).toBe('https://vigil.dev/problems/idempotency-key-reused');
    // A new key is a new redeliver.
    expect((await api.post(path, undefined, { 'idempotency-key': 'redeliver-twice' })).status).toBe(202);
    await waitForStatus(api, created.json.id, 'delivered');
    await waitForScheduled(api, 4);
  });

  it('starts one round of ten concurrent redelivers with one key', async () => {
    const { api } = await newTenant();
    const created = await api.post('/v1/messages', { url: `${receiver.url}/redeliver-concurrent`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post(`/v1/messages/${created.json.id}/redeliver`, undefined, { 'idempotency-key': 'redeliver-at-once' }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 200 || s === 409)).toBe(true);
    await waitForStatus(api, created.json.id, 'delivered');
    await waitForScheduled(api, 2);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt('/redeliver-concurrent')).toHaveLength(2);
  });

  it('answers 429 quota-exceeded to a redeliver from a tenant at its quota, and leaves the message delivered', async () => {
    const { tenantId, api } = await newTenant('free');
    // This month's counters already show the plan's allowance less one: the create takes the last.
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages - 1);
    const created = await api.post('/v1/messages', { url: `${receiver.url}/redeliver-quota`, delay: 0 });
    expect(created.status).toBe(201);
    await waitForStatus(api, created.json.id, 'delivered');
    const refused = await api.post(`/v1/messages/${created.json.id}/redeliver`);
    expect(refused.status).toBe(429);
    assertMatchesSchema('Problem', refused.json);
    expect(refused.json.type).toBe('https://vigil.dev/problems/quota-exceeded');
    expect((await api.get(`/v1/messages/${created.json.id}`)).json.status).toBe('delivered');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt('/redeliver-quota')).toHaveLength(1);
  });
});

describe('retry now, made once by its Idempotency-Key', () => {
  /** A message to a closed port: each attempt fails at once, and the next waits a backoff (short here). */
  const failingMessage = async (api: Api, path: string) => {
    const created = await api.post('/v1/messages', { url: `http://127.0.0.1:1${path}`, delay: 0 });
    expect(created.status).toBe(201);
    return created.json.id as string;
  };

  it("makes no second attempt for a repeat whose first request's attempt already failed again: it answers 200 with the message", async () => {
    const { api } = await newTenant();
    const id = await failingMessage(api, '/retry-now-keyed');
    const before = await parked(api, id, 1);
    const path = `/v1/messages/${id}/retry`;
    const key = { 'idempotency-key': 'retry-now-once' };

    const first = await api.post(path, undefined, key);
    expect(first.status).toBe(202);
    assertMatchesSchema('MessageOutWithoutBody', first.json);
    expect(Date.parse(first.json.nextAttemptAt)).toBeLessThan(Date.now() + 1_000);
    // The attempt it made fails too, and the message waits to retry again.
    const waiting = await parked(api, id, before.attempts + 1);

    // The repeat of a click whose answer came too late: nothing moves, no attempt is made.
    const repeat = await api.post(path, undefined, key);
    expect([repeat.status, repeat.json.id, repeat.json.status]).toEqual([200, id, 'retrying']);
    assertMatchesSchema('MessageOutWithoutBody', repeat.json);
    expect([repeat.json.attempts, repeat.json.nextAttemptAt]).toEqual([waiting.attempts, waiting.nextAttemptAt]);
    await new Promise((r) => setTimeout(r, 1_500));
    const after = (await api.get(`/v1/messages/${id}`)).json;
    expect([after.attempts, after.nextAttemptAt]).toEqual([waiting.attempts, waiting.nextAttemptAt]);

    // The key is bound to its message and route: elsewhere it is refused, and nothing moves.
    const other = await failingMessage(api, '/retry-now-other');
    const otherWaiting = await parked(api, other, 1);
    const elsewhere = await api.post(`/v1/messages/${other}/retry`, undefined, key);
    expect([elsewhere.status, elsewhere.json.type]).toEqual([422, 'https://vigil.dev/problems/idempotency-key-reused']);
    expect((await api.get(`/v1/messages/${other}`)).json.nextAttemptAt).toBe(otherWaiting.nextAttemptAt);
    // A new key is a new retry now.
    const again = await api.post(path, undefined, { 'idempotency-key': 'retry-now-twice' });
    expect(again.status).toBe(202);
    await parked(api, id, waiting.attempts + 1);
    await api.delete(`/v1/messages/${id}`);
    await api.delete(`/v1/messages/${other}`);
  });

  it('refuses a message that is not retrying with 409, and releases the key: its repeat is judged afresh', async () => {
    const { api } = await newTenant();
    const created = await api.post('/v1/messages', { url: `${receiver.url}/retry-now-refused`, delay: 600 });
    const path = `/v1/messages/${created.json.id}/retry`;
    const key = { 'idempotency-key': 'retry-now-refused' };
    for (const _try of [1, 2]) {
      const refused = await api.post(path, undefined, key);
      expect([refused.status, refused.json.type]).toEqual([409, 'https://vigil.dev/problems/state-conflict']);
    }
    expect((await api.get(`/v1/messages/${created.json.id}`)).json).toMatchObject({ status: 'scheduled', attempts: 0 });
  });
});

describe('retry now of an attempt due already, its ticket lost', () => {
  /**
   * Answers 503 on a path, and 200 on it opened (`?open`, which dueWithoutTicket gives the message's
   * url). On a thread of its own: the tests count its arrivals exactly, which a starved stack's
   * retries would add to.
   */
  let flaky: Receiver;
  beforeAll(async () => {
    flaky = await startReceiverThread({ respond: ({ path }) => (path.endsWith('?open') ? 200 : 503) });
  });
  const arrivalsOf = (path: string) => flaky.received.filter((r) => r.path.replace(/\?open$/, '') === path);
  afterAll(async () => {
    await flaky?.stop();
  });

  /**
   * A message whose first attempt failed, its next one due a second ago with no ticket for it on
   * the queue: written as a change whose enqueue then failed leaves it (its version on, so the
   * ticket of its parked attempt is stale), and placed in the pending index 10 minutes on, as the
   * sweep places a message it sent a ticket for (that ticket lost too): so nothing but a retry now
   * can send it within the test.
   */
  const dueWithoutTicket = async (tenantId: string, api: Api, path: string): Promise<Message> => {
    const created = await api.post('/v1/messages', { url: `${flaky.url}${path}`, delay: 0 });
    expect(created.status).toBe(201);
    const waiting = await parked(api, created.json.id, 1);
    expect(arrivalsOf(path)).toHaveLength(waiting.attempts);
    const { store } = stack.runtime.scheduling;
    const current = (await store.get(tenantId, created.json.id))!;
    const { bucketAt: _bucket, ...near } = current;
    // Its next attempt is answered 200: sent to the path opened.
    const lost: Message = { ...near, url: `${near.url}?open`, dueAt: Date.now() - 1_000, version: current.version + 1 };
    expect(await store.save(lost, current.version)).toBe(true);
    const ref = { tenantId, messageId: lost.id, version: lost.version, status: lost.status, dueAt: lost.dueAt };
    expect(await store.deferPending(ref, Date.now() + 600_000)).toBe(true);
    return lost;
  };

  it.each([
    ['without a key', undefined],
    ['with a key, as @vigil/client sends it', 'lost-ticket'],
  ])('%s: the attempt is sent now, not left to the sweep, and once', async (_, key) => {
    const { tenantId, api } = await newTenant();
    const path = `/lost-ticket-${key ?? 'none'}`;
    const lost = await dueWithoutTicket(tenantId, api, path);

    const retried = await api.post(`/v1/messages/${lost.id}/retry`, undefined, key ? { 'idempotency-key': key } : {});

    // Answered as before: 202, the message due as it was, nothing moved.
    expect(retried.status).toBe(202);
    expect(retried.json.nextAttemptAt).toBe(new Date(lost.dueAt).toISOString());
    // Its next attempt comes (the sweep would not look for it for 10 minutes).
    const tried = lost.attempts.length;
    await flaky.waitFor(() => arrivalsOf(path).length > tried, 10_000);
    const delivered = await waitForStatus(api, lost.id, 'delivered');
    expect(delivered.attempts).toBe(tried + 1);
    // With a key, its repeat answers 200 with the message as it is, and sends nothing more.
    if (key) {
      const repeat = await api.post(`/v1/messages/${lost.id}/retry`, undefined, { 'idempotency-key': key });
      expect([repeat.status, repeat.json.status]).toEqual([200, 'delivered']);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsOf(path)).toHaveLength(tried + 1);
  });

  it('makes one attempt where its own ticket was on its way too: both tickets are taken for it once', async () => {
    const { tenantId, api } = await newTenant();
    const path = '/lost-ticket-found';
    const lost = await dueWithoutTicket(tenantId, api, path);

    // Its own ticket goes after all (as a slow enqueue would), and retry now sends another beside it.
    await enqueueTickets(stack.runtime.scheduling, [ticketFor(lost)]);
    const retried = await api.post(`/v1/messages/${lost.id}/retry`, undefined, { 'idempotency-key': 'both' });
    // 202 when the retry came first; 409 when a worker had taken the message through its own ticket
    // already (being delivered, or delivered): either way one attempt is made, no more.
    expect([202, 409]).toContain(retried.status);

    await waitForStatus(api, lost.id, 'delivered');
    await new Promise((r) => setTimeout(r, 1_500));
    const tried = lost.attempts.length;
    expect(arrivalsOf(path)).toHaveLength(tried + 1);
    const attempts = await api.get(`/v1/messages/${lost.id}/attempts`);
    expect(attempts.json.items.map((a: { n: number }) => a.n)).toEqual(
      Array.from({ length: tried + 1 }, (_, i) => i + 1),
    );
  });
});

describe("a redeliver's repeat that finds its round waiting, its first request's ticket lost", () => {
  it('sends the round now, not at the sweep, and once: the repeat answers 200 with the message', async () => {
    const { tenantId, api } = await newTenant();
    const path = '/redeliver-lost-ticket';
    const created = await api.post('/v1/messages', { url: `${receiver.url}${path}`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered');
    const id = created.json.id as string;
    // The first request, made as the API makes it, its ticket's enqueue failing after the round is
    // written (logged, and answered 202 all the same); the round placed in the pending index 10
    // minutes on, as the sweep places a message it sent a ticket for (that ticket lost too).
    const { scheduling } = stack.runtime;
    const failing = {
      enqueue: async () => {
        throw new Error('queue unavailable');
      },
    };
    const key = 'redeliver-lost-ticket';
    const first = await redeliverMessageIdempotently({ ...scheduling, queue: failing }, tenantId, id, key);
    expect(first).toMatchObject({ created: true, message: { status: 'queued', round: 1 } });
    const waiting = first.message;
    const ref = { tenantId, messageId: id, version: waiting.version, status: waiting.status, dueAt: waiting.dueAt };
    expect(await scheduling.store.deferPending(ref, Date.now() + 600_000)).toBe(true);

    // The client's repeat (its answer came too late).
    const repeat = await api.post(`/v1/messages/${id}/redeliver`, undefined, { 'idempotency-key': key });

    expect([repeat.status, repeat.json.id, repeat.json.status]).toEqual([200, id, 'queued']);
    await receiver.waitFor(() => arrivalsAt(path).length > 1, 10_000);
    const delivered = await waitForStatus(api, id, 'delivered');
    expect(delivered.attempts).toBe(2);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt(path)).toHaveLength(2);
  });
});
