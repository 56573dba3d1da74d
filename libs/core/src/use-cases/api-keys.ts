/**
 * A tenant's API keys made and revoked, and told to the tenant's notification endpoints that take
 * `key.created` or `key.revoked`: the one path of the key routes and of the operator's `key revoke`.
 * A revoke is told once, by the call that made it: revoking a revoked key changes nothing, so it
 * tells nobody anything. The event carries the key's name, prefix and time as stored, so a person
 * reading it knows which key it was.
 */
import type { TenancyDeps } from '../tenancy/deps';
import { createApiKey, revokeAnyApiKey, revokeApiKey } from '../tenancy/keys';
import type { ApiKeyInfo } from '../tenancy/tenant';
import type { EventDeliveryDeps } from './event-deliveries';
import { notifyKeyEvent } from './event-deliveries';

export interface ApiKeyUseCaseDeps {
  tenancy: Pick<TenancyDeps, 'keys' | 'clock'>;
  /**
   * Where the key events go (the message engine: an event is a delivery it makes). Absent where there
   * is no engine to make them, as in the operator's shell: the key is changed and nothing is told.
   */
  events?: EventDeliveryDeps;
}

/** Makes a key (createApiKey's limit) and tells it as `key.created`; the plaintext is returned once. */
export const createAndAnnounceApiKey = async (
  deps: ApiKeyUseCaseDeps,
  tenantId: string,
  name: string,
): Promise<ApiKeyInfo & { key: string }> => {
  const created = await createApiKey(deps.tenancy, tenantId, name);
  if (deps.events) await notifyKeyEvent(deps.events, tenantId, 'key.created', created);
  return created;
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
