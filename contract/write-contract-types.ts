/**
 * `npm run contract:types`: regenerates contract/generated/openapi.d.ts and the client package's
 * libs/client/src/generated/openapi.ts from openapi.yaml.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { CLIENT_TYPES_FILE, CONTRACT_TYPES_FILE, generateClientTypes, generateContractTypes } from './contract-types';

const main = async () => {
  for (const [file, generate] of [
    [CONTRACT_TYPES_FILE, generateContractTypes],
    [CLIENT_TYPES_FILE, generateClientTypes],
  ] as const) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await generate());
    process.stdout.write(`Wrote ${relative(process.cwd(), file)} from openapi.yaml.\n`);
  }
};

main().catch((error) => {
  process.stderr.write(`contract:types failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
