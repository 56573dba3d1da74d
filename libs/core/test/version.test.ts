import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS, VIGIL_VERSION } from '../src';

describe('the product version', () => {
  it("is the root package's, in the engine's settings (user-agent) as on /health", () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(VIGIL_VERSION).toBe(version);
    expect(DEFAULT_ENGINE_SETTINGS.version).toBe(VIGIL_VERSION);
  });
});
