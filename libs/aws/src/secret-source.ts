/**
 * Where a function's secrets come from. On AWS a secret lives in SSM Parameter Store as a
 * SecureString; the template and the function's configuration carry only its name
 * (VIGIL_SESSION_SECRET_PARAMETER), and the function reads it at cold start, then again at most
 * every SECRET_CACHE_MS, so a rotated value takes effect without a redeploy. The local stack hands
 * its handlers the value itself (envSecretSource): it has no Parameter Store.
 */
import type { GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { GetParameterCommand, ParameterNotFound } from '@aws-sdk/client-ssm';
import type { Clock, SecretSource } from '@vigil/core';

export type { SecretSource };

/** How long a secret read from Parameter Store is used before it is read again. */
export const SECRET_CACHE_MS = 5 * 60_000;

export class SecretSourceError extends Error {
  override name = 'SecretSourceError';
}

/** A secret given as a value (the local stack; a test). */
export const envSecretSource = (value: string | undefined): SecretSource => ({
  get: async () => value,
});

/** What the adapter needs of the SDK's SSMClient (one command). */
export interface SsmClientLike {
  send(command: GetParameterCommand): Promise<GetParameterCommandOutput>;
}

/** A SecureString parameter, decrypted by SSM, cached for `cacheMs`. */
export class SsmSecretSource implements SecretSource {
  private cached: { value: string; readAt: number } | undefined;
  private reading: Promise<string> | undefined;

  constructor(
    private readonly ssm: SsmClientLike,
    /** The parameter's name, e.g. `/vigil/prod/session-secret`. */
    readonly parameterName: string,
    /** Only read (never slept on). */
    private readonly clock: Pick<Clock, 'now'>,
    private readonly cacheMs: number = SECRET_CACHE_MS,
  ) {}

  async get(): Promise<string> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.readAt < this.cacheMs) return this.cached.value;
    // Concurrent invocations at a cold start share one read.
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<string> {
    const readAt = this.clock.now();
    const answer = await this.ssm
      .send(new GetParameterCommand({ Name: this.parameterName, WithDecryption: true }))
      .catch((error: unknown) => {
        if (error instanceof ParameterNotFound) {
          throw new SecretSourceError(
            `SSM parameter ${this.parameterName} does not exist: create it once with ` +
              '`aws ssm put-parameter --type SecureString` (README, Deploy)',
            { cause: error },
          );
        }
        // A failed re-read keeps the last good value rather than refusing every caller.
        if (this.cached) return undefined;
        throw error;
      });
    if (answer === undefined) return (this.cached as { value: string }).value;
    const value = answer.Parameter?.Value;
    if (!value || value.length < 16) {
      throw new SecretSourceError(`SSM parameter ${this.parameterName} holds no secret of at least 16 characters`);
    }
    this.cached = { value, readAt };
    return value;
  }
}
