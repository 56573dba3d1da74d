import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, readConfig, resolveCredentials, saveProfile } from './config';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'vigil-config-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe('the CLI config file', () => {
  it('lives in ~/.config/vigil, or under XDG_CONFIG_HOME', () => {
    expect(configPath({ HOME: '/home/ada' })).toBe('/home/ada/.config/vigil/config.json');
    expect(configPath({ HOME: '/home/ada', XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/vigil/config.json');
  });

  it('keeps profiles apart and is written with mode 0600, even over a looser file', async () => {
    const env = { HOME: home };
    await saveProfile(env, 'default', { apiKey: 'vgl_a', apiUrl: 'http://a' });
    await chmod(configPath(env), 0o644);

    await saveProfile(env, 'prod', { apiKey: 'vgl_b', apiUrl: 'https://b', notifyUrl: 'https://hooks' });

    expect((await stat(configPath(env))).mode & 0o777).toBe(0o600);
    expect(await resolveCredentials(env)).toEqual({
      profile: 'default',
      keyFrom: 'profile',
      apiKey: 'vgl_a',
      apiUrl: 'http://a',
    });
    expect(await resolveCredentials(env, 'prod')).toEqual({
      profile: 'prod',
      keyFrom: 'profile',
      apiKey: 'vgl_b',
      apiUrl: 'https://b',
      notifyUrl: 'https://hooks',
    });
    expect(await resolveCredentials({ ...env, VIGIL_PROFILE: 'prod' })).toMatchObject({ profile: 'prod' });
  });

  it('refuses a config file over 1 MiB (exit 1, naming the file and the limit) rather than read it whole', async () => {
    // Prepare: a 2 MiB file where the config goes (a log written there by mistake, say).
    const env = { HOME: home };
    await mkdir(join(home, '.config', 'vigil'), { recursive: true });
    await writeFile(configPath(env), `{"profiles":{},"x":"${'x'.repeat(2 * 1024 * 1024)}"}`);

    // Act, Assess
    await expect(readConfig(env)).rejects.toMatchObject({
      code: 1,
      message: `${configPath(env)} is larger than 1 MiB (1,048,576 bytes): not a config vigil login wrote`,
      hint: 'delete it and run vigil login again',
    });
  });

  it('lets VIGIL_API_KEY and VIGIL_API_URL override the profile, and works with them alone', async () => {
    const env = { HOME: home };
    await saveProfile(env, 'default', { apiKey: 'vgl_a', apiUrl: 'http://a' });

    expect(await resolveCredentials({ ...env, VIGIL_API_KEY: 'vgl_env' })).toMatchObject({
      apiKey: 'vgl_env',
      apiUrl: 'http://a',
    });
    expect(
      await resolveCredentials({ HOME: join(home, 'none'), VIGIL_API_KEY: 'vgl_env', VIGIL_API_URL: 'https://x/' }),
    ).toEqual({
      profile: 'default',
      keyFrom: 'env',
      apiKey: 'vgl_env',
      apiUrl: 'https://x',
    });
  });

  it('says how to log in when there is no key, naming the profile asked for', async () => {
    await expect(resolveCredentials({ HOME: home })).rejects.toMatchObject({
      message: 'not logged in',
      code: 3,
      hint: 'run vigil login, or set VIGIL_API_KEY',
    });
    await expect(resolveCredentials({ HOME: home }, 'staging')).rejects.toMatchObject({
      hint: 'run vigil login --profile staging, or set VIGIL_API_KEY',
    });
  });
});
