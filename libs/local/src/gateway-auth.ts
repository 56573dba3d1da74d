/**
 * The local gateway's authorizer step, with API Gateway's cache: an answer is reused for the same
 * Authorization header for `authCacheMs`, and dropped when another process signals that a key was
 * revoked (the keys-changed file's mtime moves). The authorizer's answer becomes a typed decision:
 * allowed (with the identity the handlers see), denied (the authorizer refused the credential: a
 * policy without Allow, or its `AuthorizerDenied`), or failed (it threw anything else: logged).
 * Only an allowed answer is cached.
 */
import { statSync } from 'node:fs';
import type { Logger } from '@vigil/core';
import { AuthorizerDenied } from '@vigil/functions/api/authorizer';
import type { ApiRoute } from '@vigil/functions/api/routes';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizerEvent } from './gateway-event';

export type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface CallerIdentity {
  context: Record<string, unknown>;
  principalId: string;
}

export type AuthDecision =
  { kind: 'allowed'; identity: CallerIdentity } | { kind: 'denied' } | { kind: 'failed'; error: unknown };

export interface AuthorizerCacheOptions {
  authorizer: Authorizer;
  /** How long an allowed answer is reused for the same Authorization header (API Gateway: up to 60 s). */
  authCacheMs: number;
  /** When this file changes (a key was revoked elsewhere), cached answers are dropped. */
  keysChangedFile?: string;
  log: Logger;
  now?: () => number;
}

/** How often the keys-changed file is looked at, at most. */
const KEYS_CHANGED_CHECK_MS = 100;

/** The most answers kept: each console session token is a key of its own, so expired ones are swept out. */
const MAX_CACHED_ANSWERS = 10_000;

export class AuthorizerCache {
  private readonly cache = new Map<string, { identity: CallerIdentity; expires: number }>();
  private keysChanged = { checkedAt: 0, mtimeMs: 0 };
  /** Moves at every clear: an answer asked for before a revocation is not cached after it. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly options: AuthorizerCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** How many answers are kept now. */
  get size(): number {
    return this.cache.size;
  }

  /** Forgets every cached answer (after a key is revoked), and those still being asked for. */
  clear(): void {
    this.cache.clear();
    this.generation += 1;
  }

  async decide(event: APIGatewayProxyEvent, route: ApiRoute): Promise<AuthDecision> {
    const header = event.headers.authorization ?? event.headers.Authorization ?? '';
    this.forgetRevokedKeys();
    const cached = this.cache.get(header);
    if (cached && cached.expires > this.now()) return { kind: 'allowed', identity: cached.identity };
    const asked = this.generation;
    let result: APIGatewayAuthorizerResult;
    try {
      result = await this.options.authorizer(authorizerEvent(event, route));
    } catch (error) {
      if (error instanceof AuthorizerDenied) return { kind: 'denied' };
      this.options.log.error('authorizer failed', { error: String(error) });
      return { kind: 'failed', error };
    }
    if (!result.policyDocument.Statement.some((s) => s.Effect === 'Allow')) return { kind: 'denied' };
    const identity = { context: result.context ?? {}, principalId: result.principalId };
    if (this.options.authCacheMs > 0 && asked === this.generation) this.remember(header, identity);
    return { kind: 'allowed', identity };
  }

  private remember(header: string, identity: CallerIdentity): void {
    const now = this.now();
    if (this.cache.size >= MAX_CACHED_ANSWERS) {
      for (const [key, entry] of this.cache) if (entry.expires <= now) this.cache.delete(key);
      // All live (a flood of distinct tokens): the oldest go, as a cache that forgets early is only slower.
      for (const key of this.cache.keys()) {
        if (this.cache.size < MAX_CACHED_ANSWERS) break;
        this.cache.delete(key);
      }
    }
    // A console session's answer is kept no longer than its session (API Gateway's minute is
    // bounded by the authorizer itself; a local cache may be set longer).
    const sessionEndsAt = identity.context.sessionEndsAt;
    const until = typeof sessionEndsAt === 'number' ? sessionEndsAt : Number.POSITIVE_INFINITY;
    this.cache.set(header, { identity, expires: Math.min(now + this.options.authCacheMs, until) });
  }

  private forgetRevokedKeys(): void {
    const now = this.now();
    const file = this.options.keysChangedFile;
    if (!file || now - this.keysChanged.checkedAt < KEYS_CHANGED_CHECK_MS) return;
    const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtimeMs !== this.keysChanged.mtimeMs) this.clear();
    this.keysChanged = { checkedAt: now, mtimeMs };
  }
}
