/** A tenant's API keys: made (at most MAX_ACTIVE_KEYS active), listed, revoked. The plaintext is shown once. */
import { pastLimitInCreationOrder } from '../created-at-once';
import { ApiKeyNotFoundError, quotedId } from '../errors';
import { DAY_MS } from '../retention';
import type { TenancyDeps } from './deps';
import type { ApiKeyInfo } from './tenant';
import {
  API_KEY_ID_PATTERN,
  ApiKeyLimitError,
  apiKeyPrefix,
  hashApiKey,
  MAX_ACTIVE_KEYS,
  newApiKey,
  newApiKeyId,
} from './tenant';

type KeyDeps = Pick<TenancyDeps, 'keys' | 'clock'>;

/**
 * Stores a given key (hash and prefix only) for the tenant, under `keyId` (a new one if not given);
 * idempotent for the same plaintext.
 */
export const addApiKey = async (
  deps: KeyDeps,
  tenantId: string,
  plaintext: string,
  name: string,
  keyId: string = newApiKeyId(deps.clock.now()),
): Promise<ApiKeyInfo> => {
  const now = deps.clock.now();
  const prefix = apiKeyPrefix(plaintext);
  const { keyId: storedId, createdAt } = await deps.keys.addApiKey({
    keyId,
    tenantId,
    hash: hashApiKey(plaintext),
    prefix,
    name,
    createdAt: now,
  });
  return { id: storedId, name, prefix, createdAt };
};

/** How long a revoked key stays listed (greyed, with when and by whom) when asked for. */
export const KEY_HISTORY_DAYS = 30;

/** When a key revoked at `revokedAt` is no longer listed, so its records may go (epoch ms). */
export const revokedKeyExpiry = (revokedAt: number): number => revokedAt + KEY_HISTORY_DAYS * DAY_MS;

/** The tenant's active keys, oldest first; with `includeRevoked`, also those revoked in the last KEY_HISTORY_DAYS. */
export const listApiKeys = (
  deps: Pick<TenancyDeps, 'keys' | 'clock'>,
  tenantId: string,
  { includeRevoked = false }: { includeRevoked?: boolean } = {},
): Promise<ApiKeyInfo[]> =>
  deps.keys.listApiKeys(
    tenantId,
    includeRevoked ? { revokedSince: deps.clock.now() - KEY_HISTORY_DAYS * DAY_MS } : undefined,
  );

/**
 * Makes a new key for the tenant (at most MAX_ACTIVE_KEYS active), under `keyId` if given (a keyed
 * request's, bound before it is made); the plaintext is returned once.
 * Creates sent at once may each find room: so each looks again once its key is stored, and one past
 * the limit in creation order (ties by id) is discarded and refused, so the limit holds.
 */
export const createApiKey = async (
  deps: KeyDeps,
  tenantId: string,
  name: string,
  keyId?: string,
): Promise<ApiKeyInfo & { key: string }> => {
  const limit = () =>
    new ApiKeyLimitError(`A tenant may have at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`);
  if ((await deps.keys.listApiKeys(tenantId)).length >= MAX_ACTIVE_KEYS) throw limit();
  const key = newApiKey();
  const made = await addApiKey(deps, tenantId, key, name, keyId);
  if (pastLimitInCreationOrder(await deps.keys.listApiKeys(tenantId), made.id, MAX_ACTIVE_KEYS)) {
    await deps.keys.discardApiKey(tenantId, made.id);
    throw limit();
  }
  return { ...made, key };
};

/**
 * A tenant revokes one of its own keys; a key id it does not hold is not found. `by` is who asked:
 * the calling key's id, SESSION_KEY_ID for the console, or OPERATOR_KEY_ID. Revoking a revoked key
 * changes nothing and answers the same; `revokedNow` tells whether this call did it (only that one
 * is announced, revokeAndAnnounceApiKey), `key` the key as revoked (its name, prefix and the time
 * as stored).
 */
export const revokeApiKey = async (
  deps: KeyDeps,
  tenantId: string,
  keyId: string,
  by: string,
): Promise<{ key: ApiKeyInfo; revokedNow: boolean }> => {
  const revoked = API_KEY_ID_PATTERN.test(keyId)
    ? await deps.keys.revokeTenantApiKey(tenantId, keyId, deps.clock.now(), by)
    : undefined;
  if (revoked === undefined) throw new ApiKeyNotFoundError(`API key ${quotedId(keyId)} does not exist.`);
  return revoked;
};

/** Who revoked a key the operator revoked (`revokedBy`; the console says "by Vigil's operators"). */
export const OPERATOR_KEY_ID = 'operator';

/**
 * An operator revokes a key by id, whoever holds it: the tenant's revoke (revokeApiKey) of the
 * tenant that holds it, by OPERATOR_KEY_ID; undefined when there is no such key.
 */
export const revokeAnyApiKey = async (
  deps: KeyDeps,
  keyId: string,
): Promise<{ tenantId: string; key: ApiKeyInfo; revokedNow: boolean } | undefined> => {
  const tenantId = await deps.keys.tenantOfApiKey(keyId);
  if (tenantId === undefined) return undefined;
  return { tenantId, ...(await revokeApiKey(deps, tenantId, keyId, OPERATOR_KEY_ID)) };
};
