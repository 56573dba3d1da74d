/**
 * `npm run client:size`: what each entry of @vigil/client costs a browser or edge bundle, measured as
 * a bundler would ship it: esbuild bundles the entry with its dependencies (openapi-fetch; for
 * `verify`, standardwebhooks), minified, for a neutral platform (so a `node:` import would fail the
 * build), then gzip (level 9). The goal for the main entry is 15 KB; size.test.ts holds it.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const SIZE_GOAL_BYTES = 15 * 1024;

export const ENTRIES = {
  '@vigil/client': fileURLToPath(new URL('../src/index.ts', import.meta.url)),
  '@vigil/client/verify': fileURLToPath(new URL('../src/verify.ts', import.meta.url)),
} as const;

export interface EntrySize {
  entry: string;
  minifiedBytes: number;
  gzippedBytes: number;
}

export const measureEntry = async (entry: keyof typeof ENTRIES): Promise<EntrySize> => {
  const result = await build({
    entryPoints: [ENTRIES[entry]],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return { entry, minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code, { level: 9 }).byteLength };
};

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const main = async () => {
  for (const entry of Object.keys(ENTRIES) as Array<keyof typeof ENTRIES>) {
    const { minifiedBytes, gzippedBytes } = await measureEntry(entry);
    process.stdout.write(`${entry.padEnd(22)} ${kb(minifiedBytes)} minified, ${kb(gzippedBytes)} gzipped\n`);
  }
  process.stdout.write(`goal for @vigil/client: at most ${kb(SIZE_GOAL_BYTES)} minified + gzipped\n`);
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(`client:size failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
