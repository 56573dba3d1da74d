/**
 * The console's build for its deployment (run by infra/web-build-plugin.ts before serverless
 * packages the functions: `npm run package`, and so `serverless deploy`): the console is built with OpenNext (`open-next build` in app/, configured
 * by app/open-next.config.ts) and its server bundle zipped for the `web` function
 * (WEB_SERVER_ZIP); its static assets stay in WEB_ASSETS_DIR, which serverless-s3-sync uploads
 * after the deploy.
 *
 * Nothing is built twice: the app's own `npm run build` already writes the standalone output
 * OpenNext bundles from, so a `.next` newer than every source it is built from is reused (OpenNext
 * then skips `next build`), and a server zip newer than that `.next` is reused as it is.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import archiver from 'archiver';
import { WEB_ASSETS_DIR, WEB_BUILD_DIR, WEB_SERVER_ZIP } from './web';

const ROOT = join(__dirname, '..');
const APP = join(ROOT, 'app');
/** OpenNext's server bundle: what the `web` function runs (`index.handler`). */
const SERVER_BUNDLE = join(ROOT, WEB_BUILD_DIR, 'server-functions', 'default');
/** Tells app/open-next.config.ts that `.next` is fresh, so `next build` is skipped. */
export const PREBUILT_ENV = 'VIGIL_WEB_PREBUILT';

/** What the console's build reads: its own files, the libraries it imports, the locked dependencies. */
const SOURCES = [
  'app/src',
  'app/public',
  'app/next.config.ts',
  'app/open-next.config.ts',
  'app/package.json',
  'app/tsconfig.json',
  'libs/core/src',
  'libs/client/src',
  'package-lock.json',
];

const newestIn = (path: string): number => {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newestIn(join(path, name))));
};

const mtimeOf = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : 0);

/** When the console's sources last changed, and when each build step last ran. */
export const webBuildState = () => {
  const sources = Math.max(...SOURCES.map((path) => newestIn(join(ROOT, path))));
  const nextBuild = existsSync(join(APP, '.next', 'standalone')) ? mtimeOf(join(APP, '.next', 'BUILD_ID')) : 0;
  const serverZip = existsSync(join(ROOT, WEB_ASSETS_DIR)) ? mtimeOf(join(ROOT, WEB_SERVER_ZIP)) : 0;
  return {
    nextBuildFresh: nextBuild >= sources,
    bundleFresh: nextBuild >= sources && serverZip >= nextBuild,
  };
};

/** The server bundle's files, zipped at the zip's root (symbolic links followed). */
const zipServerBundle = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const output = createWriteStream(join(ROOT, WEB_SERVER_ZIP));
    const archive = archiver('zip', { zlib: { level: 9 } });
    output.on('close', () => resolve());
    archive.on('error', reject);
    archive.on('warning', reject);
    archive.pipe(output);
    archive.glob('**/*', { cwd: SERVER_BUNDLE, dot: true, follow: true });
    void archive.finalize();
  });

/** Builds what is stale: `next build` (within open-next build), the OpenNext bundle, its zip. */
export const buildWebConsole = async (log: (message: string) => void): Promise<void> => {
  const { nextBuildFresh, bundleFresh } = webBuildState();
  if (bundleFresh) {
    log(`Console: reusing ${WEB_SERVER_ZIP} (newer than the app's build and its sources)`);
    return;
  }
  log(`Console: open-next build${nextBuildFresh ? ', reusing app/.next' : ''}`);
  const build = spawnSync('npx', ['open-next', 'build'], {
    cwd: APP,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', [PREBUILT_ENV]: nextBuildFresh ? '1' : '' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (build.status !== 0) {
    throw new Error(`open-next build failed (${build.status ?? build.signal}):\n${build.stdout}\n${build.stderr}`);
  }
  await zipServerBundle();
  log(`Console: ${WEB_SERVER_ZIP} (${(statSync(join(ROOT, WEB_SERVER_ZIP)).size / 1e6).toFixed(1)} MB)`);
};
