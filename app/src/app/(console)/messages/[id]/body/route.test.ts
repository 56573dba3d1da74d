/**
 * The console's body route, which the message page in the browser reads a body from once per
 * change of it: the body exactly as the API answered it, named by the digest the page names it by;
 * the API's problem as problem+json; nothing asked of the API for what is no message id; and the
 * body compressed when the browser accepts it, as Next.js's server sends a page.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { NodeNextRequest, NodeNextResponse } from 'next/dist/server/base-http/node';
import { sendResponse } from 'next/dist/server/send-response';
import { describe, expect, it, vi } from 'vitest';
import { BODY_DIGEST_HEADER } from '@/lib/message-body';
import { bodyDigest } from '@/lib/message-parts';
import type { Problem } from '@/lib/types';

/** The API as the test sets it: the body it answers, or the problem it answers with. */
const api = { body: undefined as string | undefined, problem: undefined as Problem | undefined, calls: 0 };
vi.mock('@/lib/api', () => ({
  loadPage: async (load: (v: unknown) => Promise<unknown>) => {
    if (api.problem) return { problem: api.problem };
    return {
      data: await load({
        messages: {
          body: async () => {
            api.calls += 1;
            return api.body;
          },
        },
      }),
    };
  },
}));

const { GET } = await import('./route');

/**
 * Next.js's own copy of expressjs/compression, which `next start` (and `next dev`, and the
 * standalone server) runs before every request (next/dist/server/lib/router-server.js).
 */
const compression = createRequire(import.meta.url)('next/dist/compiled/compression') as () => (
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
) => void;

/**
 * The route's answer as Next.js's server sends it, read as the bytes on the wire: the request's
 * Accept-Encoding as given, the compression middleware first, then the route's Response sent as
 * Next.js sends a Route Handler's (sendResponse).
 */
const onTheWire = async (answer: () => Promise<Response>, acceptEncoding?: string) => {
  const compress = compression();
  const server = createServer((req, res) => {
    compress(req, res, () => {});
    void answer().then((response) => sendResponse(new NodeNextRequest(req), new NodeNextResponse(res), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<{ headers: IncomingHttpHeaders; bytes: Buffer }>((resolve, reject) => {
      const asked = request(
        {
          host: '127.0.0.1',
          port,
          path: `/messages/${ID}/body`,
          headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, bytes: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      asked.on('error', reject);
      asked.end();
    });
  } finally {
    server.close();
  }
};

const ID = 'msg_01JF0000000000000000000RB1';
const get = (id: string) => GET(new Request(`http://console/messages/${id}/body`), { params: Promise.resolve({ id }) });

describe("the message page's body route", () => {
  it('answers the body exactly as sent, with the digest the page names it by, kept by no cache', async () => {
    api.problem = undefined;
    api.body = '{"b":1,"1":2,"n":12345678901234567890,"note":"caf\\u00e9 ☕"}';
    const response = await get(ID);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get(BODY_DIGEST_HEADER)).toBe(bodyDigest(api.body));
    expect(await response.text()).toBe(api.body);
  });

  it("is sent gzip-compressed when the browser accepts it, as Next.js's server sends a page, the body's bytes unchanged", async () => {
    api.problem = undefined;
    // 200 KB, as the message page reads it for a long body; one character outside ASCII.
    api.body = `{"items":[${Array.from({ length: 4000 }, (_, i) => `{"line":${i},"text":"caf\u00e9 ☕ ${i}"}`).join(',')}]}`;
    const sent = Buffer.from(api.body, 'utf8');

    const compressed = await onTheWire(() => get(ID), 'gzip, deflate, br, zstd');
    const plain = await onTheWire(() => get(ID));

    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.headers.vary).toMatch(/\bAccept-Encoding\b/i);
    // No Content-Length but that of what is sent: here none, the compressed body being streamed.
    expect(compressed.headers['content-length']).toBeUndefined();
    expect(compressed.bytes.length).toBeLessThan(sent.length / 4);
    expect(gunzipSync(compressed.bytes).equals(sent)).toBe(true);
    expect(compressed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(compressed.headers[BODY_DIGEST_HEADER]).toBe(bodyDigest(api.body));
    // A request that accepts no encoding gets the body as it is.
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.bytes.equals(sent)).toBe(true);
  });

  it('answers 204 for a message without a body', async () => {
    api.problem = undefined;
    api.body = undefined;
    const response = await get(ID);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it("answers the API's problem as problem+json with its status", async () => {
    api.problem = {
      type: 'https://vigil.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No such message.',
    };
    const response = await get(ID);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual(api.problem);
  });

  it('answers 404 in words for what is no message id, without asking the API', async () => {
    api.problem = undefined;
    api.calls = 0;
    const response = await get('msg_nope%2F..');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'https://vigil.dev/problems/not-found', status: 404 });
    expect((await get('%ff')).status).toBe(404);
    expect(api.calls).toBe(0);
  });
});
