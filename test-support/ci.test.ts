import { afterEach, describe, expect, it, vi } from 'vitest';
import { inCi, tierRuns } from './ci';

describe('a tier that cannot run', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('fails the run in CI, naming the tier and why', () => {
    vi.stubEnv('CI', 'true');

    expect(() => tierRuns('The browser tests', 'no Chromium at /usr/bin/chromium')).toThrow(
      'The browser tests cannot run in CI: no Chromium at /usr/bin/chromium. CI must run every tier.',
    );
  });

  it('is skipped with a notice elsewhere, and a tier that can run runs', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

    expect(tierRuns('The browser tests', 'no Chromium')).toBe(false);
    expect(warn).toHaveBeenCalledWith('The browser tests skipped: no Chromium');
    expect(tierRuns('The browser tests', undefined)).toBe(true);
    warn.mockRestore();
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['', false],
  ])('reads CI=%j as %s', (value, expected) => {
    expect(inCi({ CI: value })).toBe(expected);
  });
});
