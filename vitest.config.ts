import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const alias = {
  '@vigil/core': here('./libs/core/src'),
  '@vigil/aws': here('./libs/aws/src'),
  '@vigil/local': here('./libs/local/src'),
  '@vigil/functions': here('./functions'),
  // The worktree's own client source (node_modules/@vigil/client links to the main checkout's).
  '@vigil/client': here('./libs/client/src'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    // The integration and e2e tiers measure time (never early, on time): one file at a time keeps
    // them from competing for the machine's two cores.
    fileParallelism: false,
    reporters: ['default', './test-support/summary-reporter.ts'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', 'node_modules/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
