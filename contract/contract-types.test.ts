/**
 * The client package (`@vigil/client`), and the web app through it, types the API with
 * libs/client/src/generated/openapi.ts, generated from openapi.yaml: the committed file must be
 * what the contract generates now, or the client and the app compile against a contract that no
 * longer holds.
 */
import { readFileSync } from 'node:fs';
import type { MessageStatus } from '@vigil/core';
import { MESSAGE_STATUSES } from '@vigil/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { openapiDocument } from '../test-support/openapi';
import type { components } from '../libs/client/src/generated/openapi';
import { CLIENT_TYPES_FILE, generateClientTypes } from './contract-types';

/** The first line where two texts differ, for a failure message a person can act on. */
const firstDifference = (committed: string, fresh: string): string => {
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}`;
};

describe('the contract types', () => {
  it('are what openapi.yaml generates now (run `npm run contract:types` after changing it)', async () => {
    const committed = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    const fresh = await generateClientTypes();
    expect(
      committed === fresh,
      `libs/client/src/generated/openapi.ts is stale at ${firstDifference(committed, fresh)}`,
    ).toBe(true);
  }, 30_000);

  it('name the same message statuses as the core, so the app may use the core lists with the contract types', () => {
    expect([...openapiDocument.components.schemas.MessageStatus.enum].sort()).toEqual([...MESSAGE_STATUSES].sort());
    expectTypeOf<components['schemas']['MessageStatus']>().toEqualTypeOf<MessageStatus>();
  });
});
