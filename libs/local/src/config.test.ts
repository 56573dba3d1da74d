/** The local stack's environment, read once at start: a wrong value is named in words to act on. */
import { describe, expect, it } from 'vitest';
import { readLocalConfig } from './config';

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
