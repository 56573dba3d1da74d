/**
 * Unit tests that need a module graph of their own: they replace modules (`vi.mock`) or the
 * environment (`vi.stubEnv`), or spy on a global, which would leak into the files a worker runs
 * after them. Every other unit test shares its worker's modules (`isolate: false`), so it must leave
 * no state behind; isolated-unit-tests.test.ts checks that every file doing so is listed here.
 */
export const ISOLATED_UNIT = [
  'app/src/app/(console)/(overview)/page.test.ts',
  'app/src/app/(console)/messages/(list)/page.test.ts',
  'app/src/app/(console)/messages/[id]/body/route.test.ts',
  'app/src/app/(console)/messages/[id]/page.test.ts',
  'app/src/app/(console)/settings/page.test.ts',
  'app/src/app/error.test.ts',
  'app/src/components/bulk-actions.test.ts',
  'app/src/components/problem-notice.test.ts',
  'app/src/lib/account-action-keys.test.ts',
  'app/src/lib/actions.test.ts',
  'app/src/lib/api-problems.test.ts',
  'app/src/lib/auth.test.ts',
  'app/src/lib/message-action-keys.test.ts',
  'app/src/lib/test-webhook-action.test.ts',
  'test-support/ci.test.ts',
];
