/** The client stays small enough for browsers and edge functions, and free of Node built-ins. */
import { describe, expect, it } from 'vitest';
import { measureEntry, SIZE_GOAL_BYTES } from './size';

describe('the @vigil/client bundle', () => {
  it('is at most 15 KB minified and gzipped, and bundles for a neutral platform (no node: import)', async () => {
    const { gzippedBytes } = await measureEntry('@vigil/client');
    expect(gzippedBytes).toBeGreaterThan(1024);
    expect(gzippedBytes).toBeLessThanOrEqual(SIZE_GOAL_BYTES);
  }, 30_000);

  it('keeps the receiver helpers (verify) bundling for a neutral platform as well', async () => {
    const { gzippedBytes } = await measureEntry('@vigil/client/verify');
    expect(gzippedBytes).toBeLessThanOrEqual(SIZE_GOAL_BYTES);
  }, 30_000);
});
