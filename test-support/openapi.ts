/**
 * Validates real responses against openapi.yaml, so the contract and the code cannot drift apart
 * unnoticed: `assertMatchesSchema` checks a value against one named schema, and
 * `assertResponseMatchesContract` checks a whole response (status, content type, documented
 * headers, body) against what the contract documents for its route and method. The integration
 * tests' API client (local-stack.ts `apiClient`) runs the latter on every response it receives.
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

/** A JSON pointer into openapi.yaml, as ajv takes it (each segment escaped, then URI-encoded). */
const pointer = (...segments: string[]): string =>
  `openapi#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

const validatorAt = (...segments: string[]) => {
  const validate = ajv.getSchema(pointer(...segments));
  if (!validate) throw new Error(`openapi.yaml has no schema at ${segments.join(' > ')}`);
  return validate;
};

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

type Json = Record<string, unknown>;

/** The documented path template a request path takes, literal segments before parameters (`/v1/messages/batch` before `/v1/messages/{messageId}`). */
const TEMPLATES = Object.keys(openapiDocument.paths as Json)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
  }))
  .sort((a, b) => a.params - b.params);

/** A trailing slash names the same route (`/v1/messages/`), as API Gateway and the local gateway route it. */
const templateOf = (path: string): string | undefined => {
  const route = path.length > 1 ? path.replace(/\/$/, '') : path;
  return TEMPLATES.find((t) => t.pattern.test(route))?.template;
};

/** `{ $ref: '#/components/responses/X' }` to the object it names, with its pointer segments. */
const resolveRef = (node: Json, at: string[]): { node: Json; at: string[] } => {
  const ref = node.$ref;
  if (typeof ref !== 'string') return { node, at };
  const segments = ref.replace(/^#\//, '').split('/');
  const target = segments.reduce<Json>((parent, segment) => parent[segment] as Json, openapiDocument);
  return resolveRef(target, segments);
};

const coerce = (schema: Json | undefined, value: string): unknown =>
  schema?.type === 'integer' || schema?.type === 'number' ? Number(value) : value;

/** Every `METHOD /template status` this process has checked, for tests that must cover the whole contract. */
export const checkedResponses = new Set<string>();

/** Every documented `METHOD /template`, with its tags. */
export const documentedOperations = (): Array<{ operation: string; tags: string[] }> =>
  Object.entries(openapiDocument.paths as Record<string, Json>).flatMap(([template, item]) =>
    ['get', 'post', 'put', 'patch', 'delete']
      .filter((method) => method in item)
      .map((method) => ({
        operation: `${method.toUpperCase()} ${template}`,
        tags: ((item[method] as Json).tags ?? []) as string[],
      })),
  );

export interface ReceivedResponse {
  method: string;
  /** The request path, with or without its query. */
  path: string;
  status: number;
  headers: Headers;
  /** The body as text ('' when there is none). */
  text: string;
}

/**
 * Throws, naming the route, the status and every mismatch, when a response is not what
 * openapi.yaml documents for its route and method: an undocumented status, another content
 * type, a documented header with a value its schema refuses, or a body its schema refuses. A
 * request to no documented route or method must be answered with a problem document.
 */
export const assertResponseMatchesContract = ({ method, path, status, headers, text }: ReceivedResponse): void => {
  const route = `${method.toUpperCase()} ${path.split('?')[0]}`;
  const fail = (problem: string): never => {
    throw new Error(
      `${route} answered ${status}, which openapi.yaml does not document: ${problem}\n${text.slice(0, 2000)}`,
    );
  };
  const mediaType = headers.get('content-type')?.split(';')[0]?.trim() ?? '';
  const body = (): unknown => {
    if (!mediaType.endsWith('json')) return text;
    try {
      return JSON.parse(text);
    } catch {
      return fail('the body is not JSON');
    }
  };
  const template = templateOf(path.split('?')[0]!);
  const operation = template
    ? ((openapiDocument.paths as Record<string, Json>)[template]![method.toLowerCase()] as Json | undefined)
    : undefined;
  if (!template || !operation) {
    // No such route or method: the gateway answers with a problem document (404 or 405).
    if (mediaType !== 'application/problem+json') fail(`no route; expected a problem document, got "${mediaType}"`);
    const validate = validatorAt('components', 'schemas', 'Problem');
    if (!validate(body())) fail(ajv.errorsText(validate.errors));
    return;
  }
  const responses = operation.responses as Json;
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  if (!key) return fail(`it documents ${Object.keys(responses).join(', ')}`);
  const checked = () => checkedResponses.add(`${method.toUpperCase()} ${template} ${status}`);
  const { node: response, at } = resolveRef(responses[key] as Json, [
    'paths',
    template,
    method.toLowerCase(),
    'responses',
    key,
  ]);

  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const { node: resolved, at: headerAt } = resolveRef(header, [...at, 'headers', name]);
    const value = headers.get(name);
    if (value === null) {
      if (resolved.required) fail(`header ${name} is required`);
      continue;
    }
    const validate = validatorAt(...headerAt, 'schema');
    if (!validate(coerce(resolved.schema as Json, value)))
      fail(`header ${name}: ${value}: ${ajv.errorsText(validate.errors)}`);
  }

  const content = response.content as Record<string, Json> | undefined;
  if (!content) {
    if (text !== '') fail('it documents no body');
    checked();
    return;
  }
  // `*/*` documents an answer in any other type (a message's body in the type its headers give it).
  const documentedType = mediaType in content ? mediaType : '*/*' in content ? '*/*' : undefined;
  if (documentedType === undefined)
    fail(`content type "${mediaType}"; it documents ${Object.keys(content).join(', ')}`);
  const validate = validatorAt(...at, 'content', documentedType!, 'schema');
  // Bytes in any type are checked as the text they are, not read as JSON.
  if (!validate(documentedType === '*/*' ? text : body())) fail(ajv.errorsText(validate.errors));
  checked();
};
