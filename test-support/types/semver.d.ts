/** The two functions of semver (a dev dependency, without types of its own) that install-engines.test.ts uses. */
declare module 'semver' {
  export function minVersion(range: string): { version: string } | null;
  export function satisfies(version: string, range: string): boolean;
}
