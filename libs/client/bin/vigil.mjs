#!/usr/bin/env node
// The `vigil` command. In a checkout it runs the TypeScript source through tsx (a dependency of the
// repository); an installed package runs the bundle in dist/ (built by `npm run build -w @vigil/client`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const source = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const bundle = join(import.meta.dirname, '..', 'dist', 'cli.js');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(bundle).href);
}
