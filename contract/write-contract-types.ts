/**
 * `npm run contract:types`: regenerates the client package's libs/client/src/generated/openapi.ts
 * from openapi.yaml.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { CLIENT_TYPES_FILE, generateClientTypes } from './contract-types';

const main = async () => {
  mkdirSync(dirname(CLIENT_TYPES_FILE), { recursive: true });
  writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes());
  process.stdout.write(`Wrote ${relative(process.cwd(), CLIENT_TYPES_FILE)} from openapi.yaml.\n`);
};

main().catch((error) => {
  process.stderr.write(`contract:types failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
