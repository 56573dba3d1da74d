/**
 * Hostile input on every route of openapi.yaml, drawn by fast-check from a seed: valid requests with
 * one part broken (a field replaced by text from any code point, a huge or unparseable number, a
 * deep nest, a JavaScript-meaningful name, a removed or unknown field), odd path ids and queries,
 * wrong content types and Authorization values, raw bodies that are not JSON. Whatever it sends,
 * the API answers below 500 with what the contract documents (a problem document for a 4xx); a
 * message it accepts is stored as sent, its body's numbers as written; and another tenant's
 * message, accepted before, is untouched at the end. `FUZZ_SEED=N` replays a run; `FUZZ_RUNS=N`
 * draws more.
 */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import fc from 'fast-check';
import { isJsonText, parseExactJson, parseRequestJson } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSessionToken } from '../test-support/console-session';
import { apiClient, newTenantKey, startTestStack } from '../test-support/local-stack';
import { assertResponseMatchesContract, documentedOperations } from '../test-support/openapi';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 1_000_000));
const runs = Number(process.env.FUZZ_RUNS ?? 700);

let stack: LocalStack;
let receiver: Receiver;
let sentinel: { client: ReturnType<typeof apiClient>; id: string; before: unknown };
/** Ids that exist in the fuzzing tenant, so that path draws also reach real messages, keys and endpoints. */
const known: Record<string, string[]> = { messageId: [], keyId: [], endpointId: [], jobId: [] };
let sessionToken: string;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({ rateLimits: false });
  const api = apiClient(stack.url, stack.apiKey);
  const hook = `${receiver.url}/hook`;
  for (let i = 0; i < 3; i += 1) {
    known.messageId!.push((await api.post('/v1/messages', { url: hook, delay: 3_600 })).json.id);
  }
  known.keyId!.push((await api.post('/v1/keys', { name: 'fuzz' })).json.id);
  known.endpointId!.push((await api.post('/v1/notification-endpoints', { url: `${receiver.url}/events` })).json.id);
  known.jobId!.push((await api.post('/v1/messages/cancel', { ids: [known.messageId![2]] })).json.id);
  sessionToken = await consoleSessionToken(
    { sub: 'fuzz', userId: 'dev:fuzz@example.com', email: 'fuzz@example.com' },
    { secret: stack.sessionSecret },
  );

  const other = apiClient(stack.url, await newTenantKey(stack, 'pro', 'sentinel'));
  const created = await other.post('/v1/messages', {
    url: hook,
    delay: 7_200,
    headers: { 'x-kept': 'yes', constructor: 'c' },
    metadata: { order: '42' },
    labels: ['kept'],
    body: { id: 1, nested: [{ a: 'é' }] },
  });
  sentinel = { client: other, id: created.json.id, before: created.json };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

type Json = null | boolean | number | string | Json[] | { [name: string]: Json };

/**
 * A number written as raw JSON text (`1e999`, `12345678901234567890`, `-0`): JSON.stringify could
 * not write it, so the request's text carries a marker that `toText` swaps for the lexeme.
 */
const lexeme = (text: string) => `\u0000NUMBER:${text}\u0000`;
const toText = (value: unknown): string =>
  JSON.stringify(value).replace(/"\\u0000NUMBER:([^"\\]*)\\u0000"/g, (_, text: string) => text);

const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({
    unit: fc.constantFrom('\ud800', '\udfff', '\u0000', '\n', '\r', '%', '/', '"', '\\', ' ', '\u202e', 'é'),
    maxLength: 8,
  }),
  fc.constantFrom(
    '',
    ' ',
    '__proto__',
    'constructor',
    'toString',
    'null',
    'NaN',
    '-1',
    '1e309',
    'http://',
    'http://127.0.0.1:1/x',
    'https://user:%zz@localhost/x',
    'file:///etc/passwd',
    'javascript:alert(1)',
    '2026-02-30T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '2026-12-01T09:00:00',
    'Europe/Nowhere',
    'msg_',
    'msg_00000000000000000000000000',
  ),
  fc.constantFrom(65, 257, 2_049, 17_000, 300_000).map((length) => 'x'.repeat(length)),
);
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e308, 5e-324),
  fc.constantFrom('1e999', '-1e999', '12345678901234567890', '-0', '1E2', '0.1e-400', '1.0000000000000001').map(lexeme),
);
const oddName = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'x-a'), oddText);
const leaf: fc.Arbitrary<Json> = fc.oneof(oddText, oddNumber, fc.boolean(), fc.constant(null));
const nest = fc
  .constantFrom(99, 100, 101, 1_000, 3_000)
  .chain((levels) => fc.constantFrom<Json>(JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`)));
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(oddName, leaf, { maxKeys: 5 }) },
  { weight: 1, arbitrary: nest },
);

/** A valid body for each operation that takes one, to break one part of. */
const validBodies = (hook: string): Record<string, () => Json> => {
  const message = (): Json => ({
    url: hook,
    delay: 3_600,
    method: 'POST',
    headers: { 'x-a': 'b', 'content-type': 'application/json' },
    body: { id: 7, text: 'é' },
    metadata: { k: 'v' },
    labels: ['fuzz'],
    retry: { maxAttempts: 3 },
    timeoutMs: 5_000,
    callback: { url: hook, on: ['delivered'] },
    flowControl: { key: 'fuzz', parallelism: 2 },
  });
  return {
    'POST /v1/messages': message,
    'POST /v1/messages/batch': () => ({ messages: [message(), message()] }),
    'POST /v1/messages/cancel': () => ({ filter: { status: ['scheduled'], label: 'nothing-has-it' } }),
    'POST /v1/messages/redeliver': () => ({ filter: { status: 'failed', urlPrefix: 'https://nowhere.invalid/' } }),
    'PATCH /v1/messages/{messageId}': () => ({ delay: 1_800, body: 'changed', metadata: { k: 'w' } }),
    'POST /v1/keys': () => ({ name: 'fuzzed' }),
    'POST /v1/notification-endpoints': () => ({ url: `${hook}/events`, events: ['message.failed'], description: 'd' }),
    'POST /v1/session/tenant': () => ({}),
    'POST /v1/session/revoke': () => ({}),
    'POST /canary-receiver': () => ({ probe: 'x' }),
  };
};

/** Every path to a value inside `value` (`['messages', 0, 'url']`), the root included. */
const pathsIn = (value: Json, at: Array<string | number> = []): Array<Array<string | number>> => [
  at,
  ...(value !== null && typeof value === 'object'
    ? Object.entries(value).flatMap(([name, child]) =>
        pathsIn(child, [...at, Array.isArray(value) ? Number(name) : name]),
      )
    : []),
];

type Change = { kind: 'set'; value: Json } | { kind: 'remove' } | { kind: 'add'; name: string; value: Json };

/** `body` with one change at `path` (a copy; the root replaced when the path is empty). */
const changed = (body: Json, path: Array<string | number>, change: Change): Json => {
  const copy = structuredClone(body);
  if (path.length === 0) {
    return change.kind === 'set' ? change.value : change.kind === 'add' ? { [change.name]: change.value } : null;
  }
  const parent = path.slice(0, -1).reduce<Json>((node, step) => (node as Record<string, Json>)[step]!, copy) as
    Record<string, Json> | Json[];
  const last = path.at(-1)!;
  if (change.kind === 'set') (parent as Record<string, Json>)[last] = change.value;
  else if (change.kind === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = (parent as Record<string, Json>)[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
      Object.defineProperty(target, change.name, { value: change.value, enumerable: true, writable: true });
    }
  }
  return copy;
};

/** A message payload of odd leaves: numbers a double cannot write back, any text, JavaScript-meaningful names. */
const payload: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      oddName.map((name) => name.slice(0, 64)),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

/** A valid request with its message payload (`body`, or the first message's in a batch) replaced. */
const withPayload = (request: Json, value: Json): Json => {
  const copy = structuredClone(request) as Record<string, Json>;
  const messages = copy.messages as Array<Record<string, Json>> | undefined;
  if (messages) messages[0]!.body = value;
  else if ('body' in copy) copy.body = value;
  return copy;
};

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 5, arbitrary: oddValue.map((value) => ({ kind: 'set' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'remove' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), name: oddName, value: oddValue }) },
);

const rawBodies = fc.constantFrom(
  '',
  '{',
  '{"url":',
  'null',
  '[]',
  '"text"',
  '1e999',
  '\ufeff{}',
  '{"a":1,}',
  '{"a":1}{"b":2}',
  '{"__proto__":{"polluted":true}}',
  '\u0000',
  '{"url":"\\ud800","delay":1}',
  `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  `{"a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_001)}`,
);

const oddPathSegment = fc.oneof(
  oddText.map((text) => encodeURIComponent(Buffer.from(text.slice(0, 2_100)).toString())),
  fc.constantFrom('%', '%zz', '%00', '..', '%2F', 'a%2Fb', '%E0%A4%A', '%C0%AF', 'x'.repeat(3_000)),
);

/** Header values a fetch client can send at all: tab and printable ASCII. */
const headerText = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\t', '-', ',', ';', '=', '"', '%', '~'), maxLength: 40 }),
  fc.constantFrom('x'.repeat(256), 'x'.repeat(6_000), ' padded ', 'a, b'),
);

/** `undefined` four times in five: a header most requests leave out. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** Authorization values an authorizer must refuse with a 401: other schemes, broken or forged tokens. */
const oddAuthorization = fc
  .oneof(
    fc.constantFrom(
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer  ',
      'bearer vgl_0000000000000000000000000000000000000000000',
      `Bearer vgl_${'x'.repeat(43)}`,
      'Bearer eyJhbGciOiJub25lIn0.eyJ0ZW5hbnRJZCI6InRudF9hIn0.',
      'Bearer eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.AAAA.AAAA',
      'Bearer a.b.c.d.e',
      'Bearer ....',
      `Bearer ${'A'.repeat(6_000)}`,
    ),
    headerText.map((text) => `Bearer ${text}`),
    headerText,
  )
  .map((value) => `odd:${value}`);

/** What a drawn request's target and header values may take, under the 16 KiB a request head may have. */
const HEAD_BUDGET = 14_000;

interface Drawn {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The message a 201 on POST /v1/messages must hold, as sent. */
  expected?: Json;
}

const requests = (hook: string): fc.Arbitrary<Drawn> => {
  const bodies = validBodies(hook);
  const operations = documentedOperations().map(({ operation }) => operation);
  return fc
    .record({
      // Every route, and the ones that take a message's payload three times as often.
      operation: fc.oneof(
        { weight: 1, arbitrary: fc.constantFrom(...operations) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('POST /v1/messages', 'POST /v1/messages/batch', 'PATCH /v1/messages/{messageId}'),
        },
      ),
      ids: fc.array(
        fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: oddPathSegment }),
        {
          minLength: 2,
          maxLength: 2,
        },
      ),
      pick: fc.nat(),
      bodyKind: fc.constantFrom(
        'changed',
        'changed',
        'changed',
        'valid',
        'payload',
        'payload',
        'raw',
        'any-json',
        'none',
      ),
      changePick: fc.nat(),
      change,
      raw: rawBodies,
      anyJson: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
      payload,
      // Each odd part is drawn for a request now and then, so that most draws break one thing
      // and reach past the gates before it.
      query: sometimes(
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(
                'limit',
                'cursor',
                'status',
                'from',
                'to',
                'label',
                'include',
                'sendAtFrom',
                'idContains',
              ),
              oddName.map((name) => name.slice(0, 2_100)),
            ),
            oddText.map((text) => text.slice(0, 2_100)),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      ),
      rawQuery: sometimes(fc.constantFrom('%', 'limit=%zz', 'a=1&a=2&a=3', '&&&', 'status', '=x', 'limit=1e999')),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'application/json; charset=latin1',
            'application/merge-patch+json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/jsonx',
            '',
          ),
        },
      ),
      idempotencyKey: sometimes(headerText),
      encoding: sometimes(fc.constantFrom('gzip', 'br', 'identity')),
      auth: fc.oneof(
        { weight: 6, arbitrary: fc.constant('key') },
        { weight: 1, arbitrary: fc.constantFrom('none', 'garbage', 'session') },
        { weight: 1, arbitrary: oddAuthorization },
      ),
    })
    .map((draw): Drawn => {
      const [method, template] = draw.operation.split(' ') as [string, string];
      let slot = 0;
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const odd = draw.ids[slot++];
        const real = known[name] ?? [];
        return odd ?? real[draw.pick % Math.max(real.length, 1)] ?? 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M';
      });
      const query = new URLSearchParams(draw.query ?? []).toString();
      const search = [query, draw.rawQuery].filter(Boolean).join('&');
      const valid = bodies[draw.operation];
      let body: Json | undefined;
      let text: string | undefined;
      if (draw.bodyKind === 'raw') text = draw.raw;
      else if (draw.bodyKind === 'any-json') body = draw.anyJson;
      else if (draw.bodyKind !== 'none' && valid) {
        const base = valid();
        const paths = pathsIn(base);
        body =
          draw.bodyKind === 'valid'
            ? base
            : draw.bodyKind === 'payload'
              ? withPayload(base, draw.payload)
              : changed(base, paths[draw.changePick % paths.length]!, draw.change);
      }
      if (body !== undefined) text = toText(body);
      if (method === 'GET') text = undefined; // fetch sends no body with a GET
      const headers: Record<string, string> = {};
      if (text !== undefined && draw.contentType !== '') headers['content-type'] = draw.contentType;
      if (draw.idempotencyKey !== undefined) headers['idempotency-key'] = draw.idempotencyKey;
      if (draw.encoding !== undefined) headers['content-encoding'] = draw.encoding;
      const bearer = { key: stack.apiKey, none: undefined, garbage: 'vgl_garbage', session: sessionToken }[draw.auth];
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      else if (draw.auth.startsWith('odd:')) headers.authorization = draw.auth.slice('odd:'.length);
      // A request head over 16 KiB is refused before any route (Node's 431 locally, API Gateway's
      // own 414 or 431): a draw over the budget leaves out its query, then its Idempotency-Key.
      const headBytes = (target: string) =>
        Buffer.byteLength(target) + Object.values(headers).reduce((sum, value) => sum + Buffer.byteLength(value), 0);
      const target = search !== '' && headBytes(`${path}?${search}`) <= HEAD_BUDGET ? `${path}?${search}` : path;
      if (headBytes(target) > HEAD_BUDGET) delete headers['idempotency-key'];
      return {
        method,
        path: target,
        headers,
        ...(text !== undefined && { body: text }),
        ...(draw.operation === 'POST /v1/messages' && body !== undefined && { expected: body }),
      };
    });
};

/** What a created message must show of what was sent: its body's numbers as written. */
const sentParts = (sent: Json) => {
  const parsed = parseRequestJson(toText(sent)) as Record<string, Json>;
  return {
    url: parsed.url,
    headers: parsed.headers ?? {},
    metadata: parsed.metadata ?? {},
    labels: parsed.labels ?? [],
    // A JSON body is kept as its text (the bytes sent): read, it is what the message shows.
    ...(parsed.body !== undefined && {
      body: isJsonText(parsed.body) ? parseExactJson(parsed.body.text) : parsed.body,
    }),
  };
};

describe(`hostile input on every route (seed ${seed}, ${runs} requests; FUZZ_SEED=${seed} replays it)`, () => {
  it('answers each below 500 as the contract documents, and stores an accepted message as sent', async () => {
    const answered = new Map<string, number>();
    let acceptedCreates = 0;
    await fc.assert(
      fc.asyncProperty(requests(`${receiver.url}/hook`), async (request) => {
        const response = await fetch(`${stack.url}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
        const text = await response.text();
        const route = `${request.method} ${response.status}`;
        answered.set(route, (answered.get(route) ?? 0) + 1);
        expect(response.status, text.slice(0, 500)).toBeLessThan(500);
        assertResponseMatchesContract({
          method: request.method,
          path: request.path,
          status: response.status,
          headers: response.headers,
          text,
        });
        if (request.expected !== undefined && response.status === 201) {
          acceptedCreates += 1;
          const created = JSON.parse(text);
          const authorization = request.headers.authorization!;
          const answer = await fetch(`${stack.url}/v1/messages/${created.id}`, { headers: { authorization } });
          const read = parseExactJson(await answer.text()) as Record<string, unknown>;
          const stored = {
            url: read.url,
            headers: read.headers,
            metadata: read.metadata,
            labels: read.labels,
            ...('body' in read && { body: read.body }),
          };
          expect(stored).toEqual(sentParts(request.expected));
        }
      }),
      { seed, numRuns: runs, endOnFailure: false },
    );
    // The draws reach past the gates: some were accepted, some refused for what they held.
    const counts = [...answered.values()];
    expect(counts.length).toBeGreaterThan(5);
    expect([...answered.keys()].some((route) => / 2\d\d$/.test(route))).toBe(true);
    expect([...answered.keys()].some((route) => / 422$/.test(route))).toBe(true);
    expect(acceptedCreates, 'creates accepted and read back').toBeGreaterThan(runs / 100);
  }, 300_000);

  it("left another tenant's message as it was accepted, and the stack answering", async () => {
    const read = await sentinel.client.get(`/v1/messages/${sentinel.id}`);
    expect(read.json).toEqual(sentinel.before);
    expect((await apiClient(stack.url, stack.apiKey).get('/health')).status).toBe(200);
  });
});
