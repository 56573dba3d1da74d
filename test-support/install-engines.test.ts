/**
 * A fresh `npm install` says nothing about Node versions: every package the lockfile installs
 * admits the oldest Node the repository says it runs on (package.json `engines`, Node 20 as
 * TOOLCHAIN's machines have it). One that did not was installed all the same with an EBADENGINE
 * warning, and the repository's own `engines` promised a Node its tests would not run on. Nor does
 * it list install scripts it skipped: npm 11 runs none of a dependency's unless allowed, and each
 * of those in the lockfile is named in `allowScripts` (denied: nothing here needs one, TOOLCHAIN.md).
 */
import { readFileSync } from 'node:fs';
import { minVersion, satisfies } from 'semver';
import { describe, expect, it } from 'vitest';

const read = (path: string) => JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8'));

describe('a fresh npm install', () => {
  it('is made for the oldest Node the repository names: every package in the lockfile admits it', () => {
    const oldest = minVersion(read('package.json').engines.node)?.version;
    const packages = read('package-lock.json').packages as Record<string, { engines?: unknown }>;

    const refusing = Object.entries(packages).flatMap(([path, { engines }]) => {
      // `engines` as an array (an old npm form) names no Node version.
      const node = engines !== null && typeof engines === 'object' && 'node' in engines ? engines.node : undefined;
      return typeof node === 'string' && !satisfies(oldest ?? '', node) ? [`${path} (node ${node})`] : [];
    });

    expect(oldest).toMatch(/^20\./);
    expect(refusing).toEqual([]);
  });

  it('leaves no install script unreviewed: each package that has one is allowed or denied in allowScripts', () => {
    const allowScripts = (read('package.json').allowScripts ?? {}) as Record<string, boolean>;
    const packages = read('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>;

    const unreviewed = Object.entries(packages)
      // The repository's own packages (its postinstall) are not dependencies.
      .filter(([path, { hasInstallScript }]) => hasInstallScript && path.includes('node_modules/'))
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .filter((name) => typeof allowScripts[name] !== 'boolean');

    expect(unreviewed).toEqual([]);
  });
});
