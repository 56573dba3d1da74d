/**
 * The client package as `npm install @vigil/client` leaves it in a consumer's project: its
 * package.json and bin, the bundle `npm run client:build` writes (dist/cli.js, built here by the
 * package's own build:cli command into the copy), its dependencies beside it, and the bin linked in
 * node_modules/.bin. No TypeScript source is beside the bin, so it runs the bundle, as a user's does.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLIENT = join(ROOT, 'libs', 'client');

export const clientPackage = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

/** What the package's dependencies need at run time besides themselves. */
const TRANSITIVE = ['openapi-typescript-helpers'];

/** Links the package's dependencies (and theirs) into a consumer's node_modules, as an install would place them. */
export const linkDependencies = (consumer: string): void => {
  for (const dependency of [...Object.keys(clientPackage.dependencies), ...TRANSITIVE]) {
    symlinkSync(join(ROOT, 'node_modules', dependency), join(consumer, 'node_modules', dependency), 'dir');
  }
};

export interface InstalledClient {
  /** The consumer's project directory (node_modules/@vigil/client inside). */
  consumer: string;
  /** The installed bin, as node_modules/.bin/vigil links it. */
  bin: string;
  remove(): void;
}

export const installClient = async (): Promise<InstalledClient> => {
  const consumer = mkdtempSync(join(tmpdir(), 'vigil-cli-consumer-'));
  const installed = join(consumer, 'node_modules', '@vigil', 'client');
  mkdirSync(installed, { recursive: true });
  cpSync(join(CLIENT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(CLIENT, 'bin'), join(installed, 'bin'), { recursive: true });
  // The package's build:cli script, run with the outfile in the installed copy.
  const esbuildArgs = clientPackage.scripts['build:cli']!.replace(/^esbuild /, '').split(' ');
  await run(
    join(ROOT, 'node_modules', '.bin', 'esbuild'),
    esbuildArgs.map((arg) => (arg.startsWith('--outfile=') ? `--outfile=${join(installed, 'dist', 'cli.js')}` : arg)),
    { cwd: CLIENT },
  );
  linkDependencies(consumer);
  mkdirSync(join(consumer, 'node_modules', '.bin'));
  symlinkSync(
    join('..', '@vigil', 'client', clientPackage.bin.vigil!),
    join(consumer, 'node_modules', '.bin', 'vigil'),
  );
  writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
  return {
    consumer,
    bin: join(installed, clientPackage.bin.vigil!),
    remove: () => rmSync(consumer, { recursive: true, force: true }),
  };
};
