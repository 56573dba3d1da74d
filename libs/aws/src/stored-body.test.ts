import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESSED_BODY, StoredBodies, storedBody } from './stored-body';

/** JSON as a webhook carries it, `kb` KB of it: gzip keeps a fraction. */
const webhookJson = (kb: number, seed = 'a'): string =>
  JSON.stringify({
    type: 'invoice.paid',
    seed,
    lines: Array.from({ length: Math.ceil((kb * 1024) / 60) }, (_, n) => ({
      id: `li_${n}`,
      amount: n * 7,
      name: 'Vélo',
    })),
  });

const gzipOf = (attributes: object): Uint8Array => {
  expect(attributes).toHaveProperty(COMPRESSED_BODY);
  return (attributes as Record<typeof COMPRESSED_BODY, Uint8Array>)[COMPRESSED_BODY];
};

describe('a stored body', () => {
  it('is compressed off the event loop: the loop turns while a 250 KB body is gzipped', async () => {
    const body = webhookJson(250);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const attributes = await storedBody(body);
    expect(gunzipSync(gzipOf(attributes)).toString('utf8')).toBe(body);
    expect(turned).toBe(true);
  });
});

describe('StoredBodies', () => {
  it('compresses a message’s body once for all its writes: the write after a read writes the gzip it read', async () => {
    const body = webhookJson(16);
    const item = await storedBody(body);
    const bodies = new StoredBodies();
    expect(await bodies.bodyOf('t/m1', item)).toBe(body);
    expect(gzipOf(await bodies.attributesOf('t/m1', body))).toBe(gzipOf(item));
    // And the write after a write.
    const written = gzipOf(await bodies.attributesOf('t/m2', body));
    expect(gzipOf(await bodies.attributesOf('t/m2', body))).toBe(written);
  });

  it('compresses a body that changed anew, and keeps bodies gzip cannot shrink as text', async () => {
    const bodies = new StoredBodies();
    await bodies.bodyOf('t/m1', await storedBody(webhookJson(16)));
    const changed = webhookJson(16, 'b');
    expect(gunzipSync(gzipOf(await bodies.attributesOf('t/m1', changed))).toString('utf8')).toBe(changed);
    expect(await bodies.attributesOf('t/m3', 'short')).toEqual({ body: 'short' });
  });

  it('keeps at most its bound of bytes, forgetting the oldest first', async () => {
    const bodies = new StoredBodies(100_000);
    const first = webhookJson(16, 'first');
    const firstGz = gzipOf(await bodies.attributesOf('t/first', first));
    // Each 16 KB body holds about 33 KB (two bytes a character) plus its gzip.
    for (const n of [1, 2, 3]) await bodies.attributesOf(`t/m${n}`, webhookJson(16, String(n)));
    const again = gzipOf(await bodies.attributesOf('t/first', first));
    expect(again).not.toBe(firstGz);
    expect(Buffer.from(again)).toEqual(Buffer.from(firstGz));
    // The most recent are kept.
    const third = gzipOf(await bodies.attributesOf('t/m3', webhookJson(16, '3')));
    expect(gzipOf(await bodies.attributesOf('t/m3', webhookJson(16, '3')))).toBe(third);
  });
});
