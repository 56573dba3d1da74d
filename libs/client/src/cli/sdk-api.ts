/** TEMPORARY: a minimal fetch seam until the SDK (branch wt-k) lands; replaced by `new Vigil(...)`. */
import type { Api, AttemptList, Message } from './api';
import type { Credentials } from './config';

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: Array<{ path: string; message: string }>,
  ) {
    super(detail);
  }
}

export const sdkApi = (credentials: Pick<Credentials, 'apiKey' | 'apiUrl'>): Api => {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${credentials.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${credentials.apiKey}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiError(0, (error as Error).message);
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiError(response.status, json?.detail ?? text, json?.errors);
    return json as T;
  };
  return {
    create: (message) => call<Message>('POST', '/v1/messages', message),
    get: (id) => call<Message>('GET', `/v1/messages/${id}`),
    attempts: (id) => call<AttemptList>('GET', `/v1/messages/${id}/attempts`),
    cancel: (id) => call<Message>('DELETE', `/v1/messages/${id}`),
    redeliver: (id) => call<Message>('POST', `/v1/messages/${id}/redeliver`),
    page: (query) => {
      const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
      return call('GET', `/v1/messages?${params}`);
    },
  };
};
