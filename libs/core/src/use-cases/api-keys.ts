/**
 * A tenant's API keys made and revoked, and told to the tenant's notification endpoints that take
 * `key.created` or `key.revoked`: the one path of the key routes and of the operator's `key revoke`.
 * A revoke is told once, by the call that made it: revoking a revoked key changes nothing, so it
 * tells nobody anything. The event carries the key's name, prefix and time as stored, so a person
 * reading it knows which key it was, and who revoked it (`revokedBy`, as the key listing has it).
 */
import { requestFingerprint } from '../request-fingerprint';
import type { TenancyDeps } from '../tenancy/deps';
import { createApiKey, KEY_HISTORY_DAYS, revokeAnyApiKey, revokeApiKey } from '../tenancy/keys';
import type { ApiKeyInfo } from '../tenancy/tenant';
import { newApiKeyId } from '../tenancy/tenant';
import { DAY_MS } from '../retention';
import type { EventDeliveryDeps, StoredEventDeps } from './event-deliveries';
import { notifyKeyEvent } from './event-deliveries';
import type { IdempotencyDeps } from './idempotent-request';
import { runIdempotently } from './idempotent-request';

export interface ApiKeyUseCaseDeps {
  tenancy: Pick<TenancyDeps, 'keys' | 'clock'>;
  /**
   * Where the key events go: the message engine (an event is a delivery it makes and sends at once),
   * or, in the operator's shell, which has no queue, the message store only (StoredEventDeps: the
   * engine's sweep sends what is stored). Absent, the key is changed and nothing is told.
   */
  events?: EventDeliveryDeps | StoredEventDeps;
}

/** Makes a key (createApiKey's limit) and tells it as `key.created`; the plaintext is returned once. */
export const createAndAnnounceApiKey = async (
  deps: ApiKeyUseCaseDeps,
  tenantId: string,
  name: string,
  keyId?: string,
): Promise<ApiKeyInfo & { key: string }> => {
  const created = await createApiKey(deps.tenancy, tenantId, name, keyId);
  if (deps.events) await notifyKeyEvent(deps.events, tenantId, 'key.created', created);
  return created;
};

/**
 * A key made by a keyed request (`key`: its secret, present only in the answer that made it), or
 * the one its Idempotency-Key made before (no `key`: see createApiKeyIdempotently).
 */
export type KeyedApiKey = ApiKeyInfo & { key?: string };

/**
 * `createAndAnnounceApiKey` made safe to repeat with an Idempotency-Key (idempotent-request.ts):
 * the key binds the request (its name) and the id of the key it makes, chosen before it is made.
 * The same request again makes no second key and answers with the one made, as it is now (active
 * or revoked, and when it was last used), **without its secret**: the secret is kept nowhere but
 * as its hash, and is not kept for 24 h in plain only to be shown again. A repeat's caller whose
 * first answer was lost learns the key's id, and that nobody holds its secret unless it was used
 * (`lastUsedAt`), so it can revoke it. The answer has `key` only when this request made the key
 * (a take-over of a request that died before making it, too); `created` says whether it did.
 */
export const createApiKeyIdempotently = async (
  deps: ApiKeyUseCaseDeps & { idempotency: IdempotencyDeps },
  tenantId: string,
  name: string,
  idempotencyKey: string | undefined,
): Promise<{ apiKey: KeyedApiKey; created: boolean }> => {
  if (idempotencyKey === undefined)
    return { apiKey: await createAndAnnounceApiKey(deps, tenantId, name), created: true };
  const { tenancy } = deps;
  // A key the request made is found while it is listed: active, or revoked (KEY_HISTORY_DAYS), longer than the 24 h of its Idempotency-Key.
  const made = async (keyId: string): Promise<ApiKeyInfo | undefined> =>
    (await tenancy.keys.listApiKeys(tenantId, { revokedSince: tenancy.clock.now() - KEY_HISTORY_DAYS * DAY_MS })).find(
      (k) => k.id === keyId,
    );
  const { results, created } = await runIdempotently<KeyedApiKey>(
    deps.idempotency,
    tenantId,
    { key: idempotencyKey, fingerprint: requestFingerprint('POST /v1/keys', { name }) },
    [newApiKeyId(tenancy.clock.now())],
    {
      load: (ids) => Promise.all(ids.map(made)),
      write: async ([keyId], stored) =>
        // Made by the request this one takes over (its answer, and so its secret, lost), or made now.
        [stored[0] ?? (await made(keyId as string)) ?? (await createAndAnnounceApiKey(deps, tenantId, name, keyId))],
    },
  );
  const apiKey = results[0] as KeyedApiKey;
  return { apiKey, created: created && apiKey.key !== undefined };
};

/** Who revokes which key: the tenant that holds it (ApiKeyNotFoundError if it does not), or an operator. */
export type KeyRevoke =
  | {
      tenantId: string;
      keyId: string;
      /** The calling key's id, or SESSION_KEY_ID for the console. */
      by: string;
    }
  | { operator: true; keyId: string };

export interface KeyRevoked {
  tenantId: string;
  /** The key as revoked: its name, prefix, and the first revoke's time and author. */
  key: ApiKeyInfo;
  /** Whether this call revoked it (and so told it). */
  revokedNow: boolean;
}

/**
 * Revokes a key and tells `key.revoked` once, whoever asked. An operator names a key only (it is
 * revoked as its tenant's, by OPERATOR_KEY_ID); undefined when no tenant holds it.
 */
export const revokeAndAnnounceApiKey = async (
  deps: ApiKeyUseCaseDeps,
  request: KeyRevoke,
): Promise<KeyRevoked | undefined> => {
  const revoked =
    'operator' in request
      ? await revokeAnyApiKey(deps.tenancy, request.keyId)
      : {
          tenantId: request.tenantId,
          ...(await revokeApiKey(deps.tenancy, request.tenantId, request.keyId, request.by)),
        };
  if (revoked?.revokedNow && deps.events) {
    await notifyKeyEvent(deps.events, revoked.tenantId, 'key.revoked', revoked.key);
  }
  return revoked;
};
