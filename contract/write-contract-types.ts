/** `npm run contract:types`: regenerates contract/generated/openapi.d.ts from openapi.yaml. */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { CONTRACT_TYPES_FILE, generateContractTypes } from './contract-types';

const main = async () => {
  writeFileSync(CONTRACT_TYPES_FILE, await generateContractTypes());
  process.stdout.write(`Wrote ${relative(process.cwd(), CONTRACT_TYPES_FILE)} from openapi.yaml.\n`);
};

main().catch((error) => {
  process.stderr.write(`contract:types failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
