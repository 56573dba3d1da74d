/**
 * The web app types the API with contract/generated/openapi.d.ts, and the client package
 * (`@vigil/client`) with its own copy, libs/client/src/generated/openapi.ts, both generated from
 * openapi.yaml: each committed file must be what the contract generates now, or the app and the
 * client compile against a contract that no longer holds.
 */
import { readFileSync } from 'node:fs';
import type { MessageStatus } from '@vigil/core';
import { MESSAGE_STATUSES } from '@vigil/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { openapiDocument } from '../test-support/openapi';
import { CLIENT_TYPES_FILE, CONTRACT_TYPES_FILE, generateClientTypes, generateContractTypes } from './contract-types';
import type { components } from './generated/openapi';

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
    const committed = readFileSync(CONTRACT_TYPES_FILE, 'utf8');
    const fresh = await generateContractTypes();
    expect(
      committed === fresh,
      `contract/generated/openapi.d.ts is stale at ${firstDifference(committed, fresh)}`,
    ).toBe(true);
  }, 30_000);

  it("are the client package's copy too (run `npm run contract:types` after changing openapi.yaml)", async () => {
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
