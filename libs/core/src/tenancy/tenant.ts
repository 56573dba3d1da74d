/**
 * Tenancy's rules: who a tenant is, what its API keys and signing secrets look like, how many keys
 * it may hold and how long a rotated secret keeps signing. Pure: time comes in as an argument.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { VigilError } from '../errors';
import { PROBLEMS } from '../problems';

export interface Tenant {
  id: string;
  name: string;
  plan: string;
  /** The current secret first, then the earlier ones (newest first), each honoured for the overlap after it was replaced. */
  signingSecrets: string[];
  /** When the secrets were last rotated (the time the second one was replaced). */
  rotatedAt?: number;
  /**
   * When each earlier secret was replaced (`retiredAt[i]` for `signingSecrets[i + 1]`). Absent on a
   * tenant last rotated before 2026-12-06, which kept one earlier secret, replaced at `rotatedAt`.
   */
  retiredAt?: number[];
  createdAt: number;
  /** The tenant's API Gateway API key (id and value) in its plan's usage plan; absent locally. */
  usageKeyId?: string;
  usageKey?: string;
}

/** The API Gateway key binding a tenant to its plan's usage plan (the authorizer's usageIdentifierKey). */
export interface UsageKey {
  usageKeyId: string;
  usageKey: string;
}

/** After a rotation, deliveries carry signatures from the old and the new secret this long. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3_600_000;

/**
 * At most this many earlier secrets sign beside the current one: a rotation while as many are still
 * in their overlap is refused (SigningSecretRotationLimitError), never one of them dropped early.
 */
export const MAX_EARLIER_SIGNING_SECRETS = 2;

/** An earlier secret still in its overlap at some instant, and until when it signs. */
export interface EarlierSigningSecret {
  secret: string;
  retiredAt: number;
  validUntil: number;
}

type SecretsOf = Pick<Tenant, 'signingSecrets' | 'rotatedAt' | 'retiredAt'>;

/** The earlier secrets that still sign at `now`, newest first. */
export const earlierSigningSecrets = (tenant: SecretsOf, now: number): EarlierSigningSecret[] => {
  const retiredAt = tenant.retiredAt ?? (tenant.rotatedAt === undefined ? [] : [tenant.rotatedAt]);
  return tenant.signingSecrets.slice(1).flatMap((secret, i) => {
    const retired = retiredAt[i];
    if (retired === undefined) return [];
    const validUntil = retired + SECRET_ROTATION_OVERLAP_MS;
    return now < validUntil ? [{ secret, retiredAt: retired, validUntil }] : [];
  });
};

/** The secrets deliveries are signed with at `now`: the current one, plus each earlier one during its overlap. */
export const activeSigningSecrets = (tenant: SecretsOf, now: number): string[] => {
  const [current] = tenant.signingSecrets;
  if (current === undefined) return [];
  return [current, ...earlierSigningSecrets(tenant, now).map((earlier) => earlier.secret)];
};

export class SigningSecretRotationLimitError extends VigilError {
  readonly problem = PROBLEMS.rotationLimit;
}

/** A key as its tenant sees it: never the secret itself. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt?: number;
  /** When it was revoked (revoked keys are listed only on request, for KEY_HISTORY_DAYS). */
  revokedAt?: number;
  /** Who revoked it: the id of the API key that did (a key may revoke itself), SESSION_KEY_ID for the console, or `operator`. */
  revokedBy?: string;
}

/** A key as stored: its SHA-256 hash and a short visible prefix, never the plaintext. */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  hash: string;
  prefix: string;
  name: string;
  createdAt: number;
}

/** Who a working API key belongs to. */
export interface ApiKeyIdentity {
  tenantId: string;
  keyId: string;
}

/** At most this many active API keys per tenant. */
export const MAX_ACTIVE_KEYS = 20;

export class ApiKeyLimitError extends VigilError {
  readonly problem = PROBLEMS.keyLimit;
}

/** A key presented with another tenant's id (only an operator adding a fixed key can do this). */
export class ApiKeyTakenError extends Error {
  override name = 'ApiKeyTakenError';
  constructor() {
    super('this API key belongs to another tenant');
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PATTERN = /^vgl_[0-9A-Za-z]{43}$/;
export const API_KEY_ID_PATTERN = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
export const TENANT_ID_PATTERN = /^tnt_[0-9A-Za-z_]+$/;

/** How much of a key stays visible in listings (`vgl_` + 8 characters). */
export const API_KEY_PREFIX_LENGTH = 12;

/** `vgl_` + 43 base62 characters (256 bits of randomness). */
export const newApiKey = (): string => {
  let n = BigInt(`0x${randomBytes(32).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 43; i += 1) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `vgl_${out}`;
};

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
export const apiKeyPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX_LENGTH);

/** `tnt_<ulid>`; `nowMs` (the caller's clock) seeds the ulid's time part. */
export const newTenantId = (nowMs: number): string => `tnt_${ulid(nowMs)}`;
/** `key_<ulid>`. */
export const newApiKeyId = (nowMs: number): string => `key_${ulid(nowMs)}`;

/** A signed-in web user (`cognito:<sub>` or, locally, `dev:<email>`), mapped to one tenant. */
export interface WebUser {
  id: string;
  email: string;
  name?: string;
}

/** The plan a tenant made at first sign-in starts on. */
export const FIRST_SIGN_IN_PLAN = 'free';
