/**
 * In CI every tier must run: a tier that cannot run here (no Java for DynamoDB Local, no Chromium
 * for the browser tests) fails the run there, instead of passing with its tests skipped. Outside
 * CI it is skipped with a plain notice saying why.
 */

/** True when the CI variable is set (to anything but `false` or `0`), as CI services and .ci/run set it. */
export const inCi = (env: Record<string, string | undefined> = process.env): boolean =>
  env.CI !== undefined && env.CI !== '' && !/^(false|0)$/i.test(env.CI);

/**
 * Says whether `tier` can run: true when `unavailable` (the reason it cannot) is undefined. In CI a
 * reason throws, failing the test file; elsewhere it is printed and the caller skips the tier.
 */
export const tierRuns = (tier: string, unavailable: string | undefined): boolean => {
  if (unavailable === undefined) return true;
  if (inCi()) throw new Error(`${tier} cannot run in CI: ${unavailable}. CI must run every tier.`);
  console.warn(`${tier} skipped: ${unavailable}`);
  return false;
};
