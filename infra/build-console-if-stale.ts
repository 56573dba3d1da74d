/**
 * `npm test`'s first step: builds the console (`npm run build -w app`, which the browser tests
 * serve) unless `app/.next` is newer than every source it is built from (webBuildState, the same
 * check the deployment's build makes). `.ci/run` builds it beside lint and typecheck, so the tests
 * then start at once; a clone, or a change since the last build, builds it here.
 */
import { spawnSync } from 'node:child_process';
import { webBuildState } from './web-build';

if (webBuildState().nextBuildFresh) {
  console.log('Console: app/.next is newer than its sources, not built again.');
} else {
  const started = performance.now();
  const build = spawnSync('npm', ['run', 'build', '-w', 'app'], { stdio: 'inherit' });
  if (build.status === 0) console.log(`Console: built in ${Math.round((performance.now() - started) / 1_000)} s.`);
  process.exit(build.status ?? 1);
}
