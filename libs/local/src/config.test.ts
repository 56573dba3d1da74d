/** The local stack's environment, read once at start: a wrong value is named in words to act on. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, UsagePlanEnv } from '@vigil/aws/config';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { LocalEnv, readLocalConfig } from './config';

/** An environment of just these variables. */
const envOf = (variables: Record<string, string>) => variables as NodeJS.ProcessEnv;

describe("the local stack's configuration", () => {
  it('names a wrong value and what it must be, not in zod\'s words ("expected number, received NaN")', () => {
    expect(() => readLocalConfig(envOf({ VIGIL_PORT: 'abc' }))).toThrow(
      'Invalid local stack configuration: VIGIL_PORT must be a number',
    );
    expect(() => readLocalConfig(envOf({ VIGIL_WEB: 'of' }))).toThrow(
      'Invalid local stack configuration: VIGIL_WEB must be one of dev, start, off',
    );
    expect(() => readLocalConfig(envOf({ VIGIL_PORT: '70000' }))).toThrow(
      'Invalid local stack configuration: VIGIL_PORT must be at most 65535',
    );
  });

  it('reads the defaults from an empty environment', () => {
    expect(readLocalConfig(envOf({}))).toMatchObject({ port: 4000 });
  });
});

/**
 * README's Configuration table as variable → its default cell. A row may name several variables
 * (`VIGIL_FAR_LEAD_S` / `VIGIL_BUCKET_S` | `120` / `60`): each gets its own part of the cell when
 * the cell has as many parts, else the whole cell.
 */
const readmeConfigurationTable = (): Map<string, string> => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const table = new Map<string, string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const [names = '', defaults = ''] = line.split('|').slice(1, 3);
    const variables = [...names.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
    const parts = defaults.split(' / ');
    variables.forEach((name, i) => table.set(name, (parts.length === variables.length ? parts[i]! : defaults).trim()));
  }
  return table;
};

/** How README writes a default: a number or word in backticks; a flag as true/false or on/off. */
const writtenAs = (value: unknown): string[] =>
  typeof value === 'boolean' ? (value ? ['`true`', '`on`'] : ['`false`', '`off`']) : [`\`${String(value)}\``];

/**
 * The handlers' variables a user never sets: the deployment (infra/functions.ts) and the local stack
 * (LOCAL_ENGINE_DEFAULTS, the provisioned queues and emulators) set them. VIGIL_TABLE and VIGIL_STAGE
 * are also the admin command's, shown where it is (README: Deploy to AWS).
 */
const SET_BY_THE_DEPLOYMENT = [
  'AWS_REGION',
  'VIGIL_TABLE',
  'VIGIL_DELIVERY_QUEUE_URL',
  'VIGIL_PROMPT_QUEUE_URL',
  'VIGIL_JOB_QUEUE_URL',
  'VIGIL_METERING_QUEUE_URL',
  'VIGIL_SCHEDULE_GROUP',
  'VIGIL_PROMOTE_ARN',
  'VIGIL_SCHEDULER_ROLE_ARN',
  'VIGIL_SCHEDULER_DLQ_ARN',
  'VIGIL_DYNAMODB_ENDPOINT',
  'VIGIL_SQS_ENDPOINT',
  'VIGIL_SCHEDULER_ENDPOINT',
  'VIGIL_SSM_ENDPOINT',
  'VIGIL_STAGE',
  'VIGIL_METRICS',
  'VIGIL_CANARY_URL',
];

describe("README's Configuration table", () => {
  const table = readmeConfigurationTable();
  const required = {
    VIGIL_TABLE: 'vigil-test',
    VIGIL_DELIVERY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/vigil-test-delivery',
    VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:promote',
    VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
  };
  const homes = {
    'the local stack (libs/local/src/config.ts)': LocalEnv.parse({}),
    'the handlers (libs/aws/src/config.ts)': Env.parse(required),
    'tenant administration (libs/aws/src/config.ts)': UsagePlanEnv.parse({}),
  };

  it.each(Object.entries(homes))('lists every variable %s reads that a user may set', (_home, defaults) => {
    const variables = Object.keys(defaults).filter((name) => !SET_BY_THE_DEPLOYMENT.includes(name));

    expect(variables.filter((name) => !table.has(name))).toEqual([]);
  });

  it.each(Object.entries(homes))("gives each one's default as %s has it", (_home, defaults) => {
    const documented = Object.entries(defaults).filter(
      ([name, value]) => table.has(name) && value !== undefined && !Array.isArray(value),
    );

    const wrong = documented.filter(([name, value]) => !writtenAs(value).some((w) => table.get(name)!.includes(w)));
    expect(wrong.map(([name, value]) => `${name}: ${String(value)}, README says ${table.get(name)}`)).toEqual([]);
    expect(documented.length).toBeGreaterThan(0);
  });

  it('gives the range a variable is held to as its schema bounds it (`60` (1–3600))', () => {
    const schemas: Record<string, z.ZodType> = { ...Env.shape, ...UsagePlanEnv.shape, ...LocalEnv.shape };
    const ranged = [...table].flatMap(([name, cell]) => {
      const range = /\((\d+)–(\d+)\)/.exec(cell);
      return range ? [{ name, range: `${range[1]}–${range[2]}` }] : [];
    });

    const bounds = (name: string): string => {
      // Through .default() and .optional() to the number they hold.
      let schema = schemas[name] as (z.ZodType & { unwrap?: () => z.ZodType; minValue?: number | null }) | undefined;
      while (schema?.unwrap && schema.minValue === undefined) schema = schema.unwrap();
      const number = schema as z.ZodNumber | undefined;
      return `${number?.minValue}–${number?.maxValue}`;
    };
    expect(ranged.filter(({ name, range }) => bounds(name) !== range)).toEqual([]);
    expect(ranged.length).toBeGreaterThan(0);
  });
});

describe('a variable named with its default in the prose (`VIGIL_SWEEP_GRACE_S` (60 s))', () => {
  const ROOT = join(import.meta.dirname, '..', '..', '..');
  const defaults: Record<string, unknown> = {
    ...Env.parse({
      VIGIL_TABLE: 'vigil-test',
      VIGIL_DELIVERY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/vigil-test-delivery',
      VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:promote',
      VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
    }),
    ...LocalEnv.parse({}),
  };
  const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000 };

  it.each(['README.md', 'docs/ARCHITECTURE.md'])('%s gives the default the code has', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const named = [...text.matchAll(/`(VIGIL_[A-Z_]+)`(?:\s[a-z]+)?\s\((\d[\d,.]*)(?:\s(ms|s|min|h))?\)/g)];

    const wrong = named.filter(([, name, number, unit]) => {
      const value = Number(number!.replace(/,/g, ''));
      // The variable's own unit is its name's (_MS, _S), or none (a count).
      const own = name!.endsWith('_MS') ? 'ms' : name!.endsWith('_S') ? 's' : undefined;
      const written = unit === undefined || own === undefined ? value : (value * UNIT_MS[unit]!) / UNIT_MS[own]!;
      return defaults[name!] !== written;
    });
    expect(wrong.map(([match]) => match)).toEqual([]);
    expect(named.length).toBeGreaterThan(0);
  });
});
