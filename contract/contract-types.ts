/**
 * The API's TypeScript types, generated from openapi.yaml (the contract) by openapi-typescript, so
 * the client package (`@vigil/client`), and the web app through it, read the shapes the contract
 * documents instead of copies typed by hand. `npm run contract:types` writes them to
 * CLIENT_TYPES_FILE, inside the package (a published package cannot reach outside its folder); the
 * unit test contract/contract-types.test.ts regenerates them in memory and fails when the committed
 * file is stale, so CI checks it fresh.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import ts from 'typescript';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.yaml', import.meta.url));
/** A `.ts` file (types only), so the package's `tsc` build emits its declarations into dist/ with the rest. */
export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../libs/client/src/generated/openapi.ts', import.meta.url));

const HEADER = `/**
 * The Vigil API's types, generated from openapi.yaml by \`npm run contract:types\` for @vigil/client (openapi-typescript).
 * Edit openapi.yaml, not this file: contract/contract-types.test.ts fails when it is stale.
 */
`;

/**
 * An optional property as `name?: T | undefined`: a caller compiling with `exactOptionalPropertyTypes`
 * may then pass a value that may be undefined (`headers: maybeHeaders`), which JSON leaves out
 * anyway, instead of spreading it in only when it is set.
 */
const undefinedAllowed = (property: ts.PropertySignature): ts.PropertySignature | undefined => {
  const { type } = property;
  if (!property.questionToken || !type) return undefined;
  const undefinedType = ts.factory.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword);
  const alreadyAllowed =
    type.kind === ts.SyntaxKind.UndefinedKeyword ||
    (ts.isUnionTypeNode(type) && type.types.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword));
  if (alreadyAllowed) return undefined;
  return ts.factory.updatePropertySignature(
    property,
    property.modifiers,
    property.name,
    property.questionToken,
    ts.factory.createUnionTypeNode([type, undefinedType]),
  );
};

const generate = async (): Promise<string> => {
  // A field with a default may be left out of a request (`method`, `timeoutMs`): it is optional
  // unless the schema lists it as required (every response field is).
  const ast = await openapiTS(readFileSync(OPENAPI_FILE, 'utf8'), {
    defaultNonNullable: false,
    transformProperty: undefinedAllowed,
  });
  return astToString(ast);
};

/** The client package's contract types, as openapi.yaml generates them now. */
export const generateClientTypes = async (): Promise<string> => `${HEADER}${COMMENT_HEADER}${await generate()}`;
