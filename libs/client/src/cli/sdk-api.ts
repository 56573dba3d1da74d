/** The SDK client for a profile's credentials, as the CLI uses it. */
import { Vigil } from '../vigil';
import type { Api } from './api';
import type { Profile } from './config';

/** One try may take 15 s; the SDK's retries (429, 5xx, refused connections; creates keyed) apply. */
const CLI_TIMEOUT_MS = 15_000;

export const sdkApi = (credentials: Pick<Profile, 'apiKey' | 'apiUrl'>): Api =>
  new Vigil({
    baseUrl: credentials.apiUrl,
    apiKey: credentials.apiKey,
    timeoutMs: CLI_TIMEOUT_MS,
  });
