/** The SDK client for a profile's credentials, as the CLI uses it. */
import type { Fetch } from '../transport';
import { Vigil } from '../vigil';
import type { Api } from './api';
import type { Profile } from './config';

/** One try may take 15 s; the SDK's retries (429, 5xx, refused connections; creates keyed) apply. */
const CLI_TIMEOUT_MS = 15_000;

/**
 * The most a command waits between its tries in all: a person at a terminal is not left 30 s
 * without a word (the SDK's budget) by a 429 whose Retry-After asks that long. A Retry-After of 1 s
 * (the plan's rate) is waited out; a longer one ends the call at once, and the error says when to
 * try again. `vigil run`'s alerts, which nobody may be watching for, ask for longer (run.ts).
 */
export const CLI_RETRY_WAIT_MS = 5_000;

export const sdkApi = (credentials: Pick<Profile, 'apiKey' | 'apiUrl'>, fetch?: Fetch): Api =>
  new Vigil({
    baseUrl: credentials.apiUrl,
    apiKey: credentials.apiKey,
    timeoutMs: CLI_TIMEOUT_MS,
    retries: { maxTotalWaitMs: CLI_RETRY_WAIT_MS },
    ...(fetch && { fetch }),
  });
