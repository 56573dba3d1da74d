/**
 * openapi.yaml is the contract: it lints clean with Redocly, and the request schemas the code
 * validates with (zod) accept exactly the fields the contract documents. Routes are checked
 * against the route table in infra/routes-contract.test.ts; responses against the schemas in
 * the API integration tests.
 */
import { spawnSync } from 'node:child_process';
import {
  API_KEY_NAME_MAX_LENGTH,
  ApiKeyIn,
  BulkJobIn,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PAGE_LIMIT,
  ENDPOINT_DESCRIPTION_MAX_LENGTH,
  FAILURE_DETAIL_MAX_BYTES,
  FLOW_KEY_PATTERN,
  FLOW_LIMITS,
  ID_TEXT_PATTERN,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  JOB_LIST_SCAN_BUDGET,
  LABEL_PATTERN,
  MAX_ATTEMPTS_LIMIT,
  MAX_BATCH,
  MAX_BODY_NESTING,
  MAX_BULK_IDS,
  MAX_CALLBACK_REFS,
  MAX_CURSOR_LENGTH,
  MAX_DELAY_S,
  MAX_FIELD_ERRORS,
  MAX_HEADERS,
  MAX_LABELS,
  MAX_MESSAGE_BYTES,
  MAX_METADATA_TAGS,
  MAX_NOTIFICATION_ENDPOINTS,
  MAX_PAGE_LIMIT,
  MAX_TIME_ZONE_LENGTH,
  MAX_URL_LENGTH,
  MESSAGE_FILTER_FIELDS,
  MESSAGE_TIMEOUT_DEFAULT_MS,
  MESSAGE_TIMEOUT_MAX_MS,
  MESSAGE_TIMEOUT_MIN_MS,
  MessageIn,
  MessagePatch,
  METADATA_KEY_MAX_LENGTH,
  METADATA_VALUE_MAX_LENGTH,
  PROBLEMS,
  RECENT_DELIVERIES_LIMIT,
  RESPONSE_HEADERS_MAX,
  SNIPPET_MAX_BYTES,
} from '@vigil/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { assertMatchesSchema, openapiDocument } from '../test-support/openapi';

const schemaOf = (name: string) =>
  openapiDocument.components.schemas[name] as { properties: Record<string, unknown>; required?: string[] };

/** The fields a zod object schema knows, and which of them must be given. */
const zodFields = (schema: z.ZodType) => {
  const shape = (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
  const names = Object.keys(shape).sort();
  const required = names.filter((name) => !shape[name]?.safeParse(undefined).success).sort();
  return { names, required };
};

/** Every problem the contract shows as an example (an object with a type, a title and a 4xx/5xx status). */
const problemExamples = (node: unknown): Array<{ type: string; title: string }> => {
  if (Array.isArray(node)) return node.flatMap(problemExamples);
  if (node === null || typeof node !== 'object') return [];
  const { type, title, status } = node as Record<string, unknown>;
  const here =
    typeof type === 'string' && typeof title === 'string' && typeof status === 'number' && status >= 400
      ? [{ type, title }]
      : [];
  return [...here, ...Object.values(node).flatMap(problemExamples)];
};

type Node = Record<string, unknown>;

/** `node`, or the node its `$ref` (`#/components/...`) names. */
const resolved = (node: Node): Node => {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return resolved(
    ref
      .slice(2)
      .split('/')
      .reduce<Node>((at, segment) => at[segment] as Node, openapiDocument as Node),
  );
};

/** The node at `segments` under a named schema, each `$ref` on the way followed. */
const schemaAt = (name: string, ...segments: Array<string | number>): Node =>
  segments.reduce<Node>((at, segment) => resolved(at[segment] as Node), resolved(schemaOf(name) as Node));

/** The schema of a route's parameter (`/v1/messages`, `get`, `limit`), or of a shared one (`IdempotencyKey`). */
const parameterSchema = (route: string, method: string, name: string): Node => {
  const operation = (openapiDocument.paths as Record<string, Record<string, { parameters: Node[] }>>)[route]![method]!;
  const parameter = operation.parameters.map(resolved).find((p) => p.name === name);
  if (!parameter) throw new Error(`${method} ${route} documents no parameter ${name}`);
  return resolved(parameter.schema as Node);
};

describe('openapi.yaml', () => {
  it('lints clean with Redocly (errors and warnings)', () => {
    const result = spawnSync(process.execPath, ['node_modules/@redocly/cli/bin/cli.js', 'lint', 'openapi.yaml'], {
      encoding: 'utf8',
      // The Redocly CLI reports usage to Redocly unless told not to: no test sends anything off the machine.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off' },
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).not.toMatch(/You have \d+ warnings?/);
  }, 30_000);

  it("titles each example problem as the API answers its type (the catalogue's one title per type)", () => {
    const titles = new Map<string, string>(Object.values(PROBLEMS).map((kind) => [kind.slug, kind.title]));
    const examples = problemExamples(openapiDocument);
    expect(examples.length).toBeGreaterThan(10);
    const untrue = examples
      .map(({ type, title }) => ({ type, title, answered: titles.get(type.split('/').pop() ?? type) }))
      .filter(({ title, answered }) => title !== answered);
    expect(untrue).toEqual([]);
  });

  it.each([
    ['MessageIn', MessageIn],
    ['MessagePatch', MessagePatch],
    ['ApiKeyIn', ApiKeyIn],
    ['BulkJobIn', BulkJobIn],
  ])('documents exactly the fields %s accepts, and the same required ones', (name, schema) => {
    const documented = schemaOf(name);
    const code = zodFields(schema);
    expect(Object.keys(documented.properties).sort()).toEqual(code.names);
    expect((documented.required ?? []).sort()).toEqual(code.required);
  });

  it("documents exactly the list query's parameters: the message filter's fields, limit and cursor", () => {
    const list = (openapiDocument.paths as Record<string, Record<string, { parameters: Array<{ name: string }> }>>)[
      '/v1/messages'
    ]?.get;
    const documented = (list?.parameters ?? []).map((p) => p.name).sort();
    expect(documented).toEqual([...Object.keys(MESSAGE_FILTER_FIELDS), 'limit', 'cursor'].sort());
  });

  it("documents exactly the message filter's fields as a bulk job takes and shows it", () => {
    expect(Object.keys(schemaOf('MessageFilter').properties).sort()).toEqual(Object.keys(MESSAGE_FILTER_FIELDS).sort());
  });

  it('documents the sendAt forms the code accepts: RFC 3339 with an offset, or a wall time without one', () => {
    const forms = [
      '2026-12-01T09:00:00Z',
      '2026-12-01T10:00:00.250+01:00',
      '2026-03-29T02:30:00',
      '2026-03-29T02:30',
      '2026-03-29T02:30:00.125',
      '2026-03-29T02:30Z',
      '2026-03-29T02',
      '2026-03-29 02:30:00',
      '2026-03-29T02:30:00+0100',
      '12/01/2026',
    ];
    for (const sendAt of forms) {
      const code = MessageIn.safeParse({ url: 'https://e.com', sendAt, timezone: 'Europe/Berlin' }).success;
      let documented = true;
      try {
        assertMatchesSchema('SendAt', sendAt);
      } catch {
        documented = false;
      }
      expect(documented, sendAt).toBe(code);
    }
  });

  it('documents the per-header rules the code enforces (names, reserved names, sendable values, count)', () => {
    const headerSets: Array<Record<string, string>> = [
      { 'x-trace': 't', authorization: 'Bearer x', 'content-type': 'text/plain' },
      { 'x-latin1': 'café \xff', 'x-tab': 'a\tb' },
      { 'x-upgrade': '1', 'x-connection': 'ok', tenant: 'a' },
      ...['Connection', 'keep-alive', 'Proxy-Authorization', 'te', 'Trailer', 'transfer-encoding', 'upgrade'].map(
        (name) => ({ [name]: 'x' }),
      ),
      ...['expect', 'HOST', 'content-length', 'user-agent', 'webhook-id', 'Vigil-Attempt'].map((name) => ({
        [name]: 'x',
      })),
      { 'bad name': 'x' },
      { 'x-a': 'Ā' },
      { 'x-a': '🎉' },
      { 'x-a': 'a\r\nb' },
      { 'x-a': '\x7f' },
      { 'x-a': '\0' },
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x-${i}`, 'v'])),
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-${i}`, 'v'])),
    ];
    for (const headers of headerSets) {
      const code = MessageIn.safeParse({ url: 'https://e.com', delay: 1, headers }).success;
      let documented = true;
      try {
        assertMatchesSchema('MessageHeaders', headers);
      } catch {
        documented = false;
      }
      expect(documented, JSON.stringify(headers).slice(0, 80)).toBe(code);
    }
  });

  describe('states each limit as the code enforces it', () => {
    const listMessages = (name: string) => parameterSchema('/v1/messages', 'get', name);
    const listJobs = (name: string) => parameterSchema('/v1/jobs', 'get', name);
    const keyed = parameterSchema('/v1/messages', 'post', 'Idempotency-Key');

    it.each<[string, unknown, unknown]>([
      ['TargetUrl maxLength', schemaAt('TargetUrl').maxLength, MAX_URL_LENGTH],
      ['MessageHeaders maxProperties', schemaAt('MessageHeaders').maxProperties, MAX_HEADERS],
      ['Metadata maxProperties', schemaAt('Metadata').maxProperties, MAX_METADATA_TAGS],
      ["Metadata's names maxLength", schemaAt('Metadata', 'propertyNames').maxLength, METADATA_KEY_MAX_LENGTH],
      [
        "Metadata's values maxLength",
        schemaAt('Metadata', 'additionalProperties').maxLength,
        METADATA_VALUE_MAX_LENGTH,
      ],
      ['Labels maxItems', schemaAt('Labels').maxItems, MAX_LABELS],
      ['Label pattern', schemaAt('Label').pattern, LABEL_PATTERN.source],
      ['Delay maximum', schemaAt('Delay').maximum, MAX_DELAY_S],
      ['TimeZone maxLength', schemaAt('TimeZone').maxLength, MAX_TIME_ZONE_LENGTH],
      [
        'RetryPolicy maxAttempts maximum',
        schemaAt('RetryPolicy', 'properties', 'maxAttempts').maximum,
        MAX_ATTEMPTS_LIMIT,
      ],
      [
        'RetryPolicy maxAttempts default',
        schemaAt('RetryPolicy', 'properties', 'maxAttempts').default,
        DEFAULT_MAX_ATTEMPTS,
      ],
      ['MessageIn timeoutMs minimum', schemaAt('MessageIn', 'properties', 'timeoutMs').minimum, MESSAGE_TIMEOUT_MIN_MS],
      ['MessageIn timeoutMs maximum', schemaAt('MessageIn', 'properties', 'timeoutMs').maximum, MESSAGE_TIMEOUT_MAX_MS],
      [
        'MessageIn timeoutMs default',
        schemaAt('MessageIn', 'properties', 'timeoutMs').default,
        MESSAGE_TIMEOUT_DEFAULT_MS,
      ],
      [
        'MessageOut maxAttempts maximum',
        schemaAt('MessageOut', 'properties', 'maxAttempts').maximum,
        MAX_ATTEMPTS_LIMIT,
      ],
      [
        'MessageOut timeoutMs minimum',
        schemaAt('MessageOut', 'properties', 'timeoutMs').minimum,
        MESSAGE_TIMEOUT_MIN_MS,
      ],
      [
        'MessageOut timeoutMs maximum',
        schemaAt('MessageOut', 'properties', 'timeoutMs').maximum,
        MESSAGE_TIMEOUT_MAX_MS,
      ],
      ['MessageOut callbacks maxItems', schemaAt('MessageOut', 'properties', 'callbacks').maxItems, MAX_CALLBACK_REFS],
      ['FlowControl key maxLength', schemaAt('FlowControl', 'properties', 'key').maxLength, FLOW_LIMITS.keyMaxLength],
      ['FlowControl key pattern', schemaAt('FlowControl', 'properties', 'key').pattern, FLOW_KEY_PATTERN.source],
      [
        'FlowControl parallelism maximum',
        schemaAt('FlowControl', 'properties', 'parallelism').maximum,
        FLOW_LIMITS.parallelismMax,
      ],
      [
        'FlowControl ratePerSecond maximum',
        schemaAt('FlowControl', 'properties', 'ratePerSecond').maximum,
        FLOW_LIMITS.ratePerSecondMax,
      ],
      ['MessageBatchIn messages maxItems', schemaAt('MessageBatchIn', 'properties', 'messages').maxItems, MAX_BATCH],
      ['BulkJobIn ids maxItems', schemaAt('BulkJobIn', 'properties', 'ids').maxItems, MAX_BULK_IDS],
      [
        'MessageFilter urlPrefix maxLength',
        schemaAt('MessageFilter', 'properties', 'urlPrefix').maxLength,
        MAX_URL_LENGTH,
      ],
      [
        'MessageFilter idContains pattern',
        schemaAt('MessageFilter', 'properties', 'idContains').pattern,
        ID_TEXT_PATTERN.source,
      ],
      ['GET /v1/messages urlPrefix maxLength', listMessages('urlPrefix').maxLength, MAX_URL_LENGTH],
      ['GET /v1/messages idContains pattern', listMessages('idContains').pattern, ID_TEXT_PATTERN.source],
      ['GET /v1/messages label pattern', listMessages('label').pattern, LABEL_PATTERN.source],
      ['GET /v1/messages limit maximum', listMessages('limit').maximum, MAX_PAGE_LIMIT],
      ['GET /v1/messages limit default', listMessages('limit').default, DEFAULT_PAGE_LIMIT],
      ['GET /v1/messages cursor maxLength', listMessages('cursor').maxLength, MAX_CURSOR_LENGTH],
      ['GET /v1/jobs limit maximum', listJobs('limit').maximum, MAX_PAGE_LIMIT],
      ['GET /v1/jobs limit default', listJobs('limit').default, DEFAULT_PAGE_LIMIT],
      ['GET /v1/jobs cursor maxLength', listJobs('cursor').maxLength, MAX_CURSOR_LENGTH],
      ['Idempotency-Key maxLength', keyed.maxLength, IDEMPOTENCY_KEY_MAX_LENGTH],
      ['ApiKeyIn name maxLength', schemaAt('ApiKeyIn', 'properties', 'name').maxLength, API_KEY_NAME_MAX_LENGTH],
      [
        'NotificationEndpointIn description maxLength',
        schemaAt('NotificationEndpointIn', 'properties', 'description').maxLength,
        ENDPOINT_DESCRIPTION_MAX_LENGTH,
      ],
      [
        'NotificationEndpointList items maxItems',
        schemaAt('NotificationEndpointList', 'properties', 'items').maxItems,
        MAX_NOTIFICATION_ENDPOINTS,
      ],
      [
        'EventDeliveryList items maxItems',
        schemaAt('EventDeliveryList', 'properties', 'items').maxItems,
        RECENT_DELIVERIES_LIMIT,
      ],
      [
        'FailureReason detail maxLength',
        schemaAt('FailureReason', 'properties', 'detail').maxLength,
        FAILURE_DETAIL_MAX_BYTES,
      ],
      [
        'AttemptOut responseHeaders maxProperties',
        schemaAt('AttemptOut', 'properties', 'responseHeaders').maxProperties,
        RESPONSE_HEADERS_MAX,
      ],
      [
        'AttemptOut responseSnippet maxLength',
        schemaAt('AttemptOut', 'properties', 'responseSnippet').maxLength,
        SNIPPET_MAX_BYTES,
      ],
      // The first MAX_FIELD_ERRORS problems, and one entry saying how many more.
      [
        'ValidationProblem errors maxItems',
        schemaAt('ValidationProblem', 'allOf', 1, 'properties', 'errors').maxItems,
        MAX_FIELD_ERRORS + 1,
      ],
    ])('%s', (_where, documented, enforced) => {
      expect(documented).toBe(enforced);
    });

    it.each<[string, string, string]>([
      ['MessageHeaders', String(schemaAt('MessageHeaders').description), `at most ${MAX_HEADERS}, together at`],
      [
        'Metadata',
        String(schemaAt('Metadata').description),
        `at most ${MAX_METADATA_TAGS}, names 1 to ${METADATA_KEY_MAX_LENGTH} characters, values up to ${METADATA_VALUE_MAX_LENGTH}`,
      ],
      ['Labels', String(schemaAt('Labels').description), `at most ${MAX_LABELS}, each at most once`],
      ['Delay', String(schemaAt('Delay').description), `0 to ${MAX_DELAY_S} (${MAX_DELAY_S / 86_400} days;`],
      ['MessageBatchIn', String(schemaAt('MessageBatchIn').description), `Up to ${MAX_BATCH} messages`],
      [
        'MessageBody',
        String(schemaAt('MessageBody').description),
        `toward the message's ${MAX_MESSAGE_BYTES / 1024} KiB once serialised`,
      ],
      ['MessageBody', String(schemaAt('MessageBody').description), `nest at most ${MAX_BODY_NESTING} levels deep`],
      [
        'FlowControl ratePerSecond',
        String(schemaAt('FlowControl', 'properties', 'ratePerSecond').description),
        `(${FLOW_LIMITS.ratePerSecondMax} at most:`,
      ],
      [
        'Idempotency-Key',
        String(resolved({ $ref: '#/components/parameters/IdempotencyKey' }).description),
        `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII`,
      ],
      [
        'Idempotency-Key',
        String(resolved({ $ref: '#/components/parameters/IdempotencyKey' }).description),
        `outside 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters a 422`,
      ],
      [
        'GET /v1/jobs',
        String(
          (openapiDocument.paths as Record<string, Record<string, { description: string }>>)['/v1/jobs']?.get
            ?.description,
        ),
        `A page reads at most ${JOB_LIST_SCAN_BUDGET} jobs`,
      ],
    ])("%s's description states it in words", (_where, description, statement) => {
      expect(description.replace(/\s+/g, ' ')).toContain(statement);
    });
  });
});
