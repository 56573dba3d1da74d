/**
 * The README's TypeScript examples ("Use it from your code") compile against the client's source,
 * so a renamed call or option fails here before a reader meets it. They compile as a strict project
 * compiles them, `exactOptionalPropertyTypes` included: with it, an optional property that does not
 * say `| undefined` refuses a value that may be undefined (`apiKey: process.env.VIGIL_API_KEY`), so
 * the client's option and input types say it. Express is not a dependency of
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
/** The package's own README (libs/client/README.md), which a reader of the package meets first. */
const PACKAGE_README = readFileSync(join(ROOT, 'libs', 'client', 'README.md'), 'utf8');

/** The ```ts blocks of `markdown`. */
const tsBlocks = (markdown: string): string[] => [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

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
  return tsBlocks(README.slice(start, end === -1 ? undefined : end));
};

/**
 * A caller's values that may be undefined, given to every optional option and input of the client
 * (`maybe()` is whatever each place takes, or undefined): under exactOptionalPropertyTypes each
 * compiles only if the property says `| undefined`.
 */
const MAYBE_UNDEFINED = `
import { Vigil } from '@vigil/client';
import { verifyWebhook } from '@vigil/client/verify';
declare function maybe<T>(): T | undefined;

const vigil = new Vigil({
  baseUrl: 'http://localhost:4000',
  apiKey: maybe(),
  headers: maybe(),
  fetch: maybe(),
  timeoutMs: maybe(),
  retries: { max: maybe(), baseDelayMs: maybe(), maxDelayMs: maybe(), maxTotalWaitMs: maybe() },
});
const call = { signal: maybe<AbortSignal>(), timeoutMs: maybe<number>(), retries: maybe<number>() };
const message = await vigil.messages.create(
  {
    url: 'https://example.com/hook',
    in: maybe(),
    sendAt: maybe(),
    delay: maybe(),
    timezone: maybe(),
    method: maybe(),
    headers: maybe(),
    body: maybe(),
    retry: { maxAttempts: maybe() },
    retries: maybe(),
    timeoutMs: maybe(),
    metadata: maybe(),
    labels: maybe(),
    flowControl: { key: 'k', parallelism: maybe(), ratePerSecond: maybe() },
    callback: maybe(),
    idempotencyKey: maybe(),
  },
  call,
);
await vigil.messages.createBatch([{ url: 'https://example.com/hook', in: maybe() }], { idempotencyKey: maybe(), ...call });
await vigil.messages.update(message.id, { in: maybe(), url: maybe(), headers: maybe(), flowControl: maybe() }, call);
const filter = {
  status: maybe<'failed'>(),
  label: maybe<string>(),
  urlPrefix: maybe<string>(),
  sendAtFrom: maybe<string>(),
  sendAtTo: maybe<string>(),
  createdAtFrom: maybe<string>(),
  createdAtTo: maybe<string>(),
  updatedSince: maybe<string>(),
  idContains: maybe<string>(),
  origin: maybe<'message'>(),
};
await vigil.messages.listPage({ ...filter, limit: maybe(), cursor: maybe() }, call);
for await (const _ of vigil.messages.list({ ...filter, cursor: maybe() })) break;
await vigil.messages.cancelMany({ filter: { status: maybe(), label: maybe() } }, { idempotencyKey: maybe() });
await vigil.messages.redeliverMany({ ids: maybe(), filter: maybe() }, { idempotencyKey: maybe() });
await vigil.keys.list({ includeRevoked: maybe() });
await vigil.notificationEndpoints.add({ url: 'https://example.com/ops', events: maybe(), description: maybe() });
await vigil.usage({ from: maybe(), to: maybe() });
await verifyWebhook(new Request('https://example.com'), 'whsec_x', { toleranceSeconds: maybe(), now: maybe() });
`;

/** The README's examples and MAYBE_UNDEFINED type-checked once, as a strict project compiles them: each file's errors. */
const typeCheck = (() => {
  let checked: Map<string, string[]> | undefined;
  return (): Map<string, string[]> => {
    if (checked) return checked;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-readme-ts-'));
    const sources: Record<string, string> = { 'express.d.ts': EXPRESS_TYPES, 'maybe-undefined.ts': MAYBE_UNDEFINED };
    examplesIn('Use it from your code').forEach((code, i) => {
      // Each example is a module of its own; the error example reuses the first one's client.
      const prelude =
        /\bvigil\./.test(code) && !/new Vigil\(/.test(code)
          ? "import { Vigil } from '@vigil/client';\nconst vigil = new Vigil({ baseUrl: 'http://localhost:4000' });\n"
          : '';
      sources[`example-${i}.ts`] = `${prelude}${code}\nexport {};\n`;
    });
    tsBlocks(PACKAGE_README).forEach((code, i) => {
      sources[`package-example-${i}.ts`] = `${code}\nexport {};\n`;
    });
    for (const [name, code] of Object.entries(sources)) writeFileSync(join(dir, name), code);
    const program = ts.createProgram(
      Object.keys(sources).map((name) => join(dir, name)),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        baseUrl: ROOT,
        paths: {
          '@vigil/client': ['libs/client/src/index.ts'],
          '@vigil/client/verify': ['libs/client/src/verify.ts'],
        },
      },
    );
    checked = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const file = d.file
        ? d.file.fileName.startsWith(dir)
          ? d.file.fileName.slice(dir.length + 1)
          : d.file.fileName
        : '';
      const line = d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0;
      checked.set(file, [
        ...(checked.get(file) ?? []),
        `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      ]);
    }
    return checked;
  };
})();

/** Every error outside `file`s of the README's examples or MAYBE_UNDEFINED (the client's own source). */
const elsewhere = (errors: Map<string, string[]>) =>
  [...errors].filter(([file]) => !/^((package-)?example-\d+|maybe-undefined)\.ts$/.test(file));

describe("the README's client examples", () => {
  const examples = examplesIn('Use it from your code');

  it('are there: schedule, errors, a Next.js route handler and Express', () => {
    expect(examples).toHaveLength(4);
    expect(examples.join('\n')).toMatch(/export async function POST\(request: Request\)/);
    expect(examples.join('\n')).toMatch(/express\.raw/);
  });

  it('compile against the client as it is, under strict and exactOptionalPropertyTypes', () => {
    const errors = typeCheck();

    expect(examples.flatMap((_, i) => errors.get(`example-${i}.ts`) ?? [])).toEqual([]);
    expect(elsewhere(errors)).toEqual([]);
  }, 60_000);
});

describe("the package's own README (libs/client/README.md)", () => {
  it('has its examples, a schedule and a verify, compile against the client as it is', () => {
    const examples = tsBlocks(PACKAGE_README);
    const errors = typeCheck();

    expect(examples).toHaveLength(2);
    expect(examples.flatMap((_, i) => errors.get(`package-example-${i}.ts`) ?? [])).toEqual([]);
  }, 60_000);
});

describe("the client's options and inputs, under exactOptionalPropertyTypes", () => {
  it('each take a value that may be undefined, as leaving it out', () => {
    expect(typeCheck().get('maybe-undefined.ts') ?? []).toEqual([]);
  }, 60_000);
});
