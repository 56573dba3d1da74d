/**
 * The README's TypeScript examples ("Use it from your code") compile against the client's source,
 * so a renamed call or option fails here before a reader meets it. Express is not a dependency of
 * this repository: its few types the example uses are declared below (a request is Node's
 * IncomingMessage with the raw body from `express.raw`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const EXPRESS_TYPES = `
declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  interface Request extends IncomingMessage { body?: unknown }
  interface Response extends ServerResponse {
    status(code: number): Response;
    send(body?: unknown): Response;
    sendStatus(code: number): Response;
  }
  type Handler = (req: Request, res: Response) => unknown;
  interface App { post(path: string, ...handlers: Handler[]): void; listen(port: number): void }
  interface Express { (): App; raw(options: { type: string }): Handler }
  const express: Express;
  export default express;
}
`;

/** The ```ts blocks of the README section `heading`, up to the next `## `. */
const examplesIn = (heading: string): string[] => {
  const start = README.indexOf(`\n## ${heading}\n`);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
};

describe("the README's client examples", () => {
  const examples = examplesIn('Use it from your code');

  it('are there: schedule, errors, a Next.js route handler and Express', () => {
    expect(examples).toHaveLength(4);
    expect(examples.join('\n')).toMatch(/export async function POST\(request: Request\)/);
    expect(examples.join('\n')).toMatch(/express\.raw/);
  });

  it('compile against the client as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-readme-ts-'));
    const files = examples.map((code, i) => {
      const file = join(dir, `example-${i}.ts`);
      // Each example is a module of its own; the error example reuses the first one's client.
      const prelude =
        /\bvigil\./.test(code) && !/new Vigil\(/.test(code)
          ? "import { Vigil } from '@vigil/client';\nconst vigil = new Vigil({ baseUrl: 'http://localhost:4000' });\n"
          : '';
      writeFileSync(file, `${prelude}${code}\nexport {};\n`);
      return file;
    });
    const shim = join(dir, 'express.d.ts');
    writeFileSync(shim, EXPRESS_TYPES);
    const program = ts.createProgram([...files, shim], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      baseUrl: ROOT,
      paths: {
        '@vigil/client': ['libs/client/src/index.ts'],
        '@vigil/client/verify': ['libs/client/src/verify.ts'],
      },
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
