/**
 * The layer rules in eslint.config.mjs, proven by linting small in-memory files placed in each
 * layer: each forbidden import is reported, and the imports each layer needs are not. The imported
 * files are picked from the layers as they are today, so renames do not quietly empty the proof.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
let eslint: ESLint;

/** Some production module of a layer folder (no test), as a path from the repository root without `.ts`. */
const moduleIn = (dir: string): string => {
  const file = readdirSync(join(root, dir))
    .sort()
    .find((name) => /^[a-z-]+\.ts$/.test(name) && name !== 'index.ts');
  if (!file) throw new Error(`no module in ${dir}`);
  return `${dir}/${file.slice(0, -3)}`;
};

/** The boundary problems ESLint reports for `source` as if it were the file at `path`. */
const boundaryProblems = async (path: string, source: string): Promise<string[]> => {
  const [result] = await eslint.lintText(`${source}\n`, { filePath: join(root, path) });
  return result!.messages.filter((m) => m.ruleId?.startsWith('boundaries/') || m.fatal).map((m) => m.message);
};

/** `import * as m from '<specifier>';`, the specifier relative to the fixture unless an alias. */
const importOf = (fixture: string, target: string): string => {
  const alias = target.match(/^libs\/(core|aws|local)\/src\/(.+)$/);
  const depth = fixture.split('/').length - 1;
  const specifier = alias ? `@vigil/${alias[1]}/${alias[2]}` : `${'../'.repeat(depth)}${target}`;
  return `import * as m from '${specifier}';\nexport { m };`;
};

const CORE = 'libs/core/src/boundary-fixture.ts';
const HANDLER = 'functions/api/boundary-fixture.ts';
const ADAPTER = 'libs/aws/src/boundary-fixture.ts';
const APP = 'app/src/lib/boundary-fixture.ts';
const CLIENT = 'libs/client/src/boundary-fixture.ts';

const target = {
  core: moduleIn('libs/core/src'),
  adapter: moduleIn('libs/aws/src'),
  local: moduleIn('libs/local/src'),
  handler: moduleIn('functions/api'),
  app: moduleIn('app/src/lib'),
  testSupport: moduleIn('test-support'),
  client: moduleIn('libs/client/src'),
  contract: moduleIn('contract'),
};

beforeAll(async () => {
  eslint = new ESLint({ cwd: root });
  // The first lint loads the config, the parser and the plugins.
  await boundaryProblems(CORE, '');
}, 60_000);

describe('the layer boundaries (npm run lint)', () => {
  it('have real files to import', () => {
    for (const path of Object.values(target)) {
      expect(existsSync(join(root, `${path}.ts`)) || existsSync(join(root, `${path}.d.ts`)), path).toBe(true);
    }
  });

  it.each([
    ['an adapter', target.adapter],
    ['a handler', target.handler],
    ['the local stack', target.local],
    ['the web app', target.app],
    ['the test helpers', target.testSupport],
    ['a folder no layer claims', 'vitest.config'],
  ])('keep the core from importing %s', async (_, path) => {
    expect(await boundaryProblems(CORE, importOf(CORE, path))).toEqual([
      expect.stringMatching(/from elements of type "core"/),
    ]);
  });

  it('catch a layer crossed by a re-export or a dynamic import as well', async () => {
    const specifier = importOf(CORE, target.adapter).match(/from '([^']+)'/)![1];
    expect(await boundaryProblems(CORE, `export * from '${specifier}';`)).toHaveLength(1);
    expect(await boundaryProblems(CORE, `export const load = () => import('${specifier}');`)).toHaveLength(1);
  });

  it('keep handlers and adapters from importing the local stack', async () => {
    expect(await boundaryProblems(HANDLER, importOf(HANDLER, target.local))).toHaveLength(1);
    expect(await boundaryProblems(ADAPTER, importOf(ADAPTER, target.local))).toHaveLength(1);
  });

  it('keep the web app from importing the AWS adapters, the local stack or the handlers', async () => {
    expect(await boundaryProblems(APP, importOf(APP, target.adapter))).toEqual([
      expect.stringMatching(/"app" to elements of type "adapters"/),
    ]);
    expect(await boundaryProblems(APP, importOf(APP, target.local))).toEqual([
      expect.stringMatching(/"app" to elements of type "local"/),
    ]);
    expect(await boundaryProblems(APP, importOf(APP, target.handler))).toHaveLength(1);
  });

  it('keep every file of the web app from the session secret adapter, but its composition root', async () => {
    expect(await boundaryProblems(APP, importOf(APP, 'libs/aws/src/secret-source'))).toEqual([
      expect.stringMatching(/"app" to elements of type "adapters"/),
    ]);
    expect(await boundaryProblems(APP, importOf(APP, 'libs/aws/src/wiring/console'))).toEqual([
      expect.stringMatching(/"app" to elements of type "adapters"/),
    ]);
    const root = 'app/src/instrumentation.ts';
    expect(await boundaryProblems(root, importOf(root, 'libs/aws/src/wiring/console'))).toEqual([]);
    expect(await boundaryProblems(root, importOf(root, target.local))).toEqual([
      expect.stringMatching(/"app" to elements of type "local"/),
    ]);
  });

  it.each([
    ['the core', target.core],
    ['an adapter', target.adapter],
    ['the local stack', target.local],
    ['a handler', target.handler],
    ['the web app', target.app],
    ['the contract tooling', target.contract],
    ['the test helpers', target.testSupport],
  ])('keep the client package (@vigil/client) from importing %s', async (_, path) => {
    expect(await boundaryProblems(CLIENT, importOf(CLIENT, path))).toEqual([
      expect.stringMatching(/from elements of type "client"/),
    ]);
  });

  it("let the client package (its CLI's build bundles it) and the core use the core's shared data, which imports nothing", async () => {
    const shared = 'libs/core/src/shared/current-zone-names';
    expect(await boundaryProblems(CLIENT, importOf(CLIENT, shared))).toEqual([]);
    expect(await boundaryProblems(CORE, importOf(CORE, shared))).toEqual([]);
    const data = 'libs/core/src/shared/boundary-fixture.ts';
    expect(await boundaryProblems(data, importOf(data, target.core))).toEqual([
      expect.stringMatching(/from elements of type "shared"/),
    ]);
    expect(await boundaryProblems(data, importOf(data, target.client))).toEqual([
      expect.stringMatching(/from elements of type "shared"/),
    ]);
  });

  it('let the web app and the tests use the client package', async () => {
    expect(await boundaryProblems(APP, importOf(APP, target.client))).toEqual([]);
    expect(
      await boundaryProblems('e2e/boundary-fixture.ts', importOf('e2e/boundary-fixture.ts', target.client)),
    ).toEqual([]);
    const integration = 'libs/client/src/boundary-fixture.int.test.ts';
    expect(await boundaryProblems(integration, importOf(integration, target.local))).toEqual([]);
    expect(await boundaryProblems(integration, importOf(integration, target.testSupport))).toEqual([]);
  });

  it('keep production code from importing the test helpers', async () => {
    expect(await boundaryProblems(HANDLER, importOf(HANDLER, target.testSupport))).toHaveLength(1);
    expect(await boundaryProblems(ADAPTER, importOf(ADAPTER, target.testSupport))).toHaveLength(1);
  });

  it('let unit tests reach the local stack only through test-support; integration tests may import it', async () => {
    const unit = 'functions/api/boundary-fixture.test.ts';
    const integration = 'functions/api/boundary-fixture.int.test.ts';
    expect(await boundaryProblems(unit, importOf(unit, target.local))).toHaveLength(1);
    expect(await boundaryProblems(unit, importOf(unit, target.testSupport))).toEqual([]);
    expect(await boundaryProblems(integration, importOf(integration, target.local))).toEqual([]);
  });

  it('allow what each layer needs', async () => {
    const allowed: Array<[string, string]> = [
      [CORE, target.core],
      [ADAPTER, target.core],
      [HANDLER, target.core],
      [HANDLER, target.adapter],
      ['libs/local/src/boundary-fixture.ts', target.adapter],
      ['libs/local/src/boundary-fixture.ts', target.handler],
      ['libs/cli/src/boundary-fixture.ts', target.adapter],
      ['libs/cli/src/boundary-fixture.ts', target.local],
      [APP, target.core],
      ['contract/boundary-fixture.test.ts', target.client],
      [CLIENT, target.client],
    ];
    for (const [fixture, path] of allowed) {
      expect(await boundaryProblems(fixture, importOf(fixture, path)), `${fixture} -> ${path}`).toEqual([]);
    }
  });
});
