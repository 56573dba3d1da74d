/**
 * The route table the deployment is built from (API_ROUTES) and the public contract
 * (openapi.yaml) name the same operations: no route is deployed that the contract does not
 * document, and none is documented that nothing serves.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const OpenApiPaths = z.object({ paths: z.record(z.string(), z.record(z.string(), z.unknown())) });

const contract = OpenApiPaths.parse(
  parse(readFileSync(fileURLToPath(new URL('../openapi.yaml', import.meta.url)), 'utf8')),
);

/** `POST /v1/messages` for every operation in openapi.yaml. */
const documented = Object.entries(contract.paths)
  .flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  )
  .sort();

const served = API_ROUTES.map((route) => `${route.method} ${route.path}`).sort();

describe('routes: API_ROUTES and openapi.yaml', () => {
  it('documents in openapi.yaml every route the deployment serves', () => {
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('serves every operation openapi.yaml documents', () => {
    expect(documented.filter((operation) => !served.includes(operation))).toEqual([]);
  });

  it('lists each route once', () => {
    expect(new Set(served).size).toBe(served.length);
  });
});
