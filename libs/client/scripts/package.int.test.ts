/**
 * The published form of @vigil/client: `npm run client:build` (tsc with libs/client/tsconfig.build.json)
 * gives a dist/ that Node imports by the package's `exports` (main entry and `/verify`) with nothing
 * but the package's dependencies beside it, and whose declarations type-check for a consumer on
 * TypeScript's NodeNext resolution. Built here into a temporary directory, never into the repository.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { linkDependencies } from './installed-client';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLIENT = join(ROOT, 'libs', 'client');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the package as published', () => {
  it('builds to ESM with declarations that Node and a NodeNext TypeScript project import by its exports', async () => {
    const consumer = mkdtempSync(join(tmpdir(), 'vigil-client-consumer-'));
    const installed = join(consumer, 'node_modules', '@vigil', 'client');
    mkdirSync(installed, { recursive: true });
    await run(process.execPath, [TSC, '-p', join(CLIENT, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')]);
    cpSync(join(CLIENT, 'package.json'), join(installed, 'package.json'));
    linkDependencies(consumer);
    writeFileSync(join(consumer, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(consumer, 'use.mjs'),
      [
        "import { Vigil, VigilValidationError, parseDuration } from '@vigil/client';",
        "import { verifyWebhook, WebhookVerificationError } from '@vigil/client/verify';",
        "const vigil = new Vigil({ baseUrl: 'http://127.0.0.1:9', apiKey: 'vgl_x', retries: 0 });",
        'const error = await vigil.messages.create({ url: "https://example.com", in: "soon" }).catch((e) => e);',
        'const refused = await verifyWebhook({ headers: {}, body: "" }, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").catch((e) => e);',
        'console.log(JSON.stringify([typeof VigilValidationError, parseDuration("1h30m"), error.name, refused instanceof WebhookVerificationError, refused.reason]));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual(['function', 5_400_000, 'VigilValidationError', true, 'missing-headers']);

    writeFileSync(
      join(consumer, 'check.ts'),
      [
        "import { Vigil } from '@vigil/client';",
        "import type { Message } from '@vigil/client';",
        "import { verifyWebhook } from '@vigil/client/verify';",
        "const vigil = new Vigil({ baseUrl: 'http://localhost:4000' });",
        "export const created: Promise<Message> = vigil.messages.create({ url: 'https://example.com', in: '10m' });",
        '// @ts-expect-error not a status the API knows',
        "export const page = vigil.messages.listPage({ status: 'lost' });",
        "export const verified = (request: Request) => verifyWebhook(request, 'whsec_x');",
      ].join('\n'),
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ['check.ts'],
      }),
    );
    const typecheck = await run(process.execPath, [TSC, '-p', consumer]).catch((e: { stdout: string }) => e);
    expect(typecheck.stdout).toBe('');
  }, 120_000);
});
