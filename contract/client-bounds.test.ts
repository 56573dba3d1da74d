/**
 * Bounds the client keeps on what a server answers, which the Vigil API itself must stay within:
 * the client imports nothing of the server, so each is checked here against the API's own rules.
 */
import { LIST_SCAN_BUDGET, MAX_DELAY_S, MAX_NOTIFICATION_ENDPOINTS, MESSAGE_STATUSES, PLANS } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import type { Shape } from '../libs/client/src/answer-shapes';
import * as shapes from '../libs/client/src/answer-shapes';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../libs/client/src/follow-pages';
import { openapiDocument } from '../test-support/openapi';

describe("the client's bounds on the API's answers", () => {
  it('let messages.list() follow more empty pages in a row than the API answers over its largest tenant', () => {
    // Prepare: the most a tenant can hold: its plan's messages over the year they may wait and the month a finished one is kept, each round with a callback and an event to each endpoint.
    const largest = Math.max(
      ...Object.values(PLANS).map((plan) => plan.monthlyMessages * ((MAX_DELAY_S / 86_400 + plan.retentionDays) / 30)),
    );
    const stored = largest * (1 + 1 + MAX_NOTIFICATION_ENDPOINTS);
    // A page that answers nothing read LIST_SCAN_BUDGET stored messages, shared by the statuses a filter lists (delivering is listed among the waiting ones).
    const listedStatuses = MESSAGE_STATUSES.filter((status) => status !== 'delivering').length;

    // Act
    const emptyPagesInARow = stored / Math.floor(LIST_SCAN_BUDGET / listedStatuses);

    // Assess
    expect(MAX_EMPTY_PAGES_IN_A_ROW).toBeGreaterThan(emptyPagesInARow);
  });

  it("check in each answer only fields the contract has the API always send, of the contract's types", () => {
    // Prepare: each kind of answer the client checks, and the contract's schemas it stands for.
    const schemas = openapiDocument.components.schemas as Record<string, Schema>;
    const answers: Array<[Shape, string[]]> = [
      [shapes.MESSAGE, ['MessageOut', 'MessageOutWithoutBody']],
      [shapes.MESSAGE_LIST, ['MessageBatchOut', 'EventDeliveryList']],
      [shapes.MESSAGE_PAGE, ['MessagePage']],
      [shapes.ATTEMPT_LIST, ['AttemptList']],
      [shapes.JOB, ['BulkJobOut']],
      [shapes.JOB_PAGE, ['BulkJobPage']],
      [shapes.KEY, ['ApiKeyOut', 'ApiKeyCreated', 'ApiKeyNotShown']],
      [shapes.KEY_LIST, ['ApiKeyList']],
      [shapes.ENDPOINT, ['NotificationEndpointOut']],
      [shapes.ENDPOINT_LIST, ['NotificationEndpointList']],
      [shapes.SIGNING_SECRET, ['SigningSecretOut', 'SigningSecretRotated']],
      [shapes.USAGE, ['UsageOut']],
      [shapes.HEALTH, ['Health']],
      [shapes.SESSION_TENANT, ['SessionTenant']],
    ];
    const resolved = (schema: Schema): Schema => {
      if (schema.$ref) return resolved(schemas[schema.$ref.split('/').pop()!]!);
      if (!schema.allOf) return schema;
      const parts = schema.allOf.map(resolved);
      return {
        required: parts.flatMap((part) => part.required ?? []),
        properties: Object.assign({}, ...parts.map((part) => part.properties)),
      };
    };
    const TYPES: Record<string, string[][]> = {
      id: [['string']],
      string: [['string']],
      number: [['integer'], ['number']],
      'string|null': [['string', 'null']],
      'number|null': [
        ['integer', 'null'],
        ['number', 'null'],
      ],
    };
    /** Where the check asks for what the schema does not promise, in words. */
    const unpromised = (fields: Shape['fields'], schema: Schema, path: string): string[] =>
      Object.entries(fields).flatMap(([name, field]) => {
        const at = `${path}.${name}`;
        const property = schema.properties?.[name];
        if (!property || !schema.required?.includes(name)) return [`${at} is not required`];
        const promised = resolved(property);
        if (typeof field === 'string') {
          const type = [promised.type ?? []].flat();
          return TYPES[field]!.some((t) => t.join() === type.join())
            ? []
            : [`${at} is ${type.join('|')}, not ${field}`];
        }
        if (Array.isArray(field)) {
          if (promised.type !== 'array') return [`${at} is not an array`];
          return unpromised(field[0].fields, resolved(promised.items!), `${at}[]`);
        }
        return unpromised(field, promised, at);
      });

    // Act
    const found = answers.flatMap(([shape, names]) =>
      names.flatMap((name) => unpromised(shape.fields, resolved(schemas[name]!), name)),
    );

    // Assess: a real answer always passes; and every kind was compared.
    expect(found).toEqual([]);
    expect(answers.map(([shape]) => shape.what)).toHaveLength(
      Object.values(shapes).filter((value) => typeof value === 'object').length,
    );
  });
});

/** The part of a JSON Schema the comparison reads. */
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}
