/**
 * Validates real responses against the schemas in openapi.yaml, so the contract and the code
 * cannot drift apart unnoticed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const openapiDocument = parse(readFileSync(fileURLToPath(new URL('../openapi.yaml', import.meta.url)), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openapiDocument, $id: 'openapi' });

/** Throws with every mismatch when `data` does not fit `components.schemas[name]`. */
export const assertMatchesSchema = (name: string, data: unknown): void => {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
  if (!validate) throw new Error(`openapi.yaml has no schema ${name}`);
  if (!validate(data)) {
    throw new Error(
      `response does not match ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(data, null, 2)}`,
    );
  }
};
