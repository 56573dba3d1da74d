// One linter (ESLint with typescript-eslint) and one formatter (Prettier), both plain JavaScript,
// so `npm ci` installs them from any registry (Biome's per-platform binaries are not all mirrored).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

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
      'app/next-env.d.ts',
      // Generated from openapi.yaml by `npm run contract:types` (checked fresh by a unit test).
      'contract/generated/',
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
  // The web app's components: the rules of hooks (the React team's own plugin).
  { files: ['app/**/*.tsx'], ...reactHooks.configs.flat.recommended },
  {
    files: ['**/*.test.ts', 'test-support/**', 'e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
