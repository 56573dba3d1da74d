/**
 * openapi.yaml is the contract: it lints clean with Redocly, and the request schemas the code
 * validates with (zod) accept exactly the fields the contract documents. Routes are checked
 * against the route table in infra/routes-contract.test.ts; responses against the schemas in
 * the API integration tests.
 */
import { spawnSync } from 'node:child_process';
import { ApiKeyIn, BulkJobIn, MESSAGE_FILTER_FIELDS, MessageIn, MessagePatch, PROBLEMS } from '@vigil/core';
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
});
