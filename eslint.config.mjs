// One linter (ESLint with typescript-eslint) and one formatter (Prettier), both plain JavaScript,
// so `npm ci` installs them from any registry (Biome's per-platform binaries are not all mirrored).
import { join } from 'node:path';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Everything but the web app: what the test and tooling homes may exercise. */
const ALL_BUT_APP = ['core', 'shared', 'adapters', 'handlers', 'infra', 'local', 'cli', 'test-support', 'client'];

/**
 * The layers and what each may import (its own files always), enforced by eslint-plugin-boundaries
 * in `npm run lint` and proven by lint/boundaries.test.ts. Production code first: the core is pure;
 * handlers and adapters never reach the local stack; the web app talks to the API, so it sees only
 * the core's rules and data and the client package (which holds the contract's generated types); only the
 * local stack and the admin CLI put adapters and emulators together. The client package
 * (`@vigil/client`, published on its own) imports nothing of the server: the contract's types
 * are generated into it, and its CLI's build bundles the core's `shared` data (libs/core/src/shared:
 * tables both need, such as the time zones' current names), which imports nothing itself.
 */
const LAYERS = {
  shared: [],
  core: ['core', 'shared'],
  adapters: ['core', 'adapters'],
  handlers: ['core', 'adapters', 'handlers'],
  infra: ['core', 'adapters', 'handlers', 'infra'],
  local: ['core', 'adapters', 'handlers', 'infra', 'local'],
  cli: ['core', 'adapters', 'local', 'cli'],
  app: ['core', 'shared', 'client', 'app'],
  client: ['client', 'shared'],
  // Test and tooling homes: they exercise the layers, so they may use any but the web app.
  contract: ['core', 'client', 'test-support', 'contract'],
  'test-support': ALL_BUT_APP,
  // The e2e suites and the benchmarks share their drivers (the chaos suite runs bench/chaos).
  e2e: [...ALL_BUT_APP, 'e2e', 'bench'],
  bench: [...ALL_BUT_APP, 'e2e', 'bench'],
  lint: ['lint'],
};

/**
 * Composition roots that may import more than their layer: the console's (Next.js's
 * instrumentation.ts, run once at its server's start) wires the deployed console's session secret
 * from the adapters and hands the app the port; the rest of the app imports no adapter.
 */
const COMPOSITION_ROOTS = [{ category: 'console-wiring', pattern: 'app/src/instrumentation.ts', allow: ['adapters'] }];

/**
 * Tests sit beside the code they test and may import what that code may, plus the test tier's
 * helpers: every test (`*.test.ts`) may import test-support; integration
 * and e2e tests (`*.int.test.ts`, `*.e2e.test.ts`) run against real local services, so they alone
 * may also import the local stack (libs/local) directly. Production code never may.
 */
const TEST_TIERS = [
  { category: 'test', pattern: '**/*.test.ts', allow: ['test-support'] },
  { category: 'integration-test', pattern: ['**/*.int.test.ts', '**/*.e2e.test.ts'], allow: ['local'] },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.serverless/',
      '.esbuild/',
      '.vigil/',
      'test-output/',
      'coverage/',
      'app/.next/',
      'app/.open-next/',
      'app/next-env.d.ts',
      // Generated from openapi.yaml by `npm run contract:types` (checked fresh by a unit test).
      'libs/client/src/generated/',
      'libs/client/dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
    },
  },
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    plugins: { boundaries },
    settings: {
      // Imports resolve as tsc resolves them (tsconfig `paths`), so each lands on its layer's files.
      'import/resolver': { [join(import.meta.dirname, 'lint/typescript-resolver.cjs')]: {} },
      'boundaries/root-path': import.meta.dirname,
      // Re-exports and dynamic imports (the route table loads handlers with `import()`) cross layers too.
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import', 'require'],
      'boundaries/elements': [
        // Before the core's own: its shared data is a layer of its own (the first element that matches is a file's).
        { type: 'shared', pattern: 'libs/core/src/shared', partialMatch: false },
        { type: 'core', pattern: 'libs/core', partialMatch: false },
        { type: 'adapters', pattern: 'libs/aws', partialMatch: false },
        { type: 'local', pattern: 'libs/local', partialMatch: false },
        { type: 'cli', pattern: 'libs/cli', partialMatch: false },
        { type: 'client', pattern: 'libs/client', partialMatch: false },
        { type: 'handlers', pattern: 'functions', partialMatch: false },
        { type: 'infra', pattern: 'infra', partialMatch: false },
        { type: 'app', pattern: 'app', partialMatch: false },
        { type: 'contract', pattern: 'contract', partialMatch: false },
        { type: 'test-support', pattern: 'test-support', partialMatch: false },
        { type: 'e2e', pattern: 'e2e', partialMatch: false },
        { type: 'bench', pattern: 'bench', partialMatch: false },
        { type: 'lint', pattern: 'lint', partialMatch: false },
      ],
      'boundaries/files': [...TEST_TIERS, ...COMPOSITION_ROOTS].map(({ category, pattern }) => ({ category, pattern })),
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkUnknownLocals: true,
          policies: [
            ...Object.entries(LAYERS).map(([from, to]) => ({
              from: { element: { type: from } },
              allow: { to: { element: { type: to } } },
            })),
            ...TEST_TIERS.map(({ category, allow }) => ({
              from: { file: { categories: category } },
              allow: { to: { element: { type: allow } } },
            })),
            ...COMPOSITION_ROOTS.map(({ category, allow }) => ({
              from: { file: { categories: category } },
              allow: { to: { element: { type: allow } } },
            })),
          ],
        },
      ],
    },
  },
  // CommonJS files (the import resolver above, which ESLint's resolver loader requires).
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The web app's components: the rules of hooks (the React team's own plugin).
  { files: ['app/**/*.tsx'], ...reactHooks.configs.flat.recommended },
  {
    files: ['**/*.test.ts', 'test-support/**', 'e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
