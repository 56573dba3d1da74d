/**
 * Where the CLI keeps its API keys: `$XDG_CONFIG_HOME/vigil/config.json` (by default
 * `~/.config/vigil/config.json`), readable by its owner only (mode 0600, in a 0700 directory). It
 * holds named profiles, one per stage; `VIGIL_API_KEY` and `VIGIL_API_URL` override the profile's
 * values, and `--profile` (or `VIGIL_PROFILE`) picks one, `default` otherwise.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { MAX_CONFIG_BYTES, readFileAtMost, sizeText } from './bounded-read';
import { CliError, EXIT, usageError } from './exit-codes';
import { isSendableApiKey } from '../transport';

export interface Profile {
  apiKey: string;
  apiUrl: string;
  /** Where `vigil run` sends its alerts when no `--notify` is given. */
  notifyUrl?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export type Env = Record<string, string | undefined>;

export const DEFAULT_PROFILE = 'default';
export const DEFAULT_API_URL = 'http://localhost:4000';

/** The config file's path for this environment. */
export const configPath = (env: Env): string => {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'vigil', 'config.json');
};

const isProfile = (value: unknown): value is Profile =>
  !!value &&
  typeof value === 'object' &&
  typeof (value as Profile).apiKey === 'string' &&
  typeof (value as Profile).apiUrl === 'string' &&
  ((value as Profile).notifyUrl === undefined || typeof (value as Profile).notifyUrl === 'string');

/** The stored profiles; none when there is no file yet. */
export const readConfig = async (env: Env): Promise<ConfigFile> => {
  const path = configPath(env);
  let bytes: Buffer | undefined;
  try {
    bytes = await readFileAtMost(path, MAX_CONFIG_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, EXIT.failure);
  }
  if (bytes === undefined) {
    throw new CliError(
      `${path} is larger than ${sizeText(MAX_CONFIG_BYTES)}: not a config vigil login wrote`,
      EXIT.failure,
      'delete it and run vigil login again',
    );
  }
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`, EXIT.failure, 'fix it, or delete it and run vigil login again');
  }
  const profiles = (parsed as { profiles?: unknown })?.profiles;
  if (!profiles || typeof profiles !== 'object') return { profiles: {} };
  return {
    profiles: Object.fromEntries(
      Object.entries(profiles).filter((entry): entry is [string, Profile] => isProfile(entry[1])),
    ),
  };
};

/** Stores `profile` under `name`, keeping the others; the file is written whole and left at mode 0600. */
export const saveProfile = async (env: Env, name: string, profile: Profile): Promise<string> => {
  const path = configPath(env);
  const config = await readConfig(env);
  config.profiles[name] = profile;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return path;
};

export interface Credentials extends Profile {
  profile: string;
  /** Where the key came from: VIGIL_API_KEY (`env`), or the profile (the default). */
  keyFrom?: 'env' | 'profile';
}

/** The profile's name: `--profile`, else `VIGIL_PROFILE`, else `default`. */
export const profileName = (env: Env, given?: string): string => given || env.VIGIL_PROFILE || DEFAULT_PROFILE;

/**
 * Refuses (a usage error naming `name`) a URL that is not an absolute http(s) one with its host
 * right after `//`: the API's, a notify URL, wherever it came from (a flag, the environment, the file).
 */
export const checkHttpUrl = (name: string, url: string, hint?: string): void => {
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url))
    throw usageError(`${name} "${url}" is not an http(s) URL`, hint);
};

/**
 * Refuses (exit 3) a key that cannot be an API key: one with a line break, a space, a control or
 * non-ASCII character (a paste gone wrong) would be refused by fetch with the key in its message, or
 * sent cut short. The message names where the key came from, never the key.
 */
export const checkApiKey = (where: string, apiKey: string, hint: string): void => {
  // README's and the help's `vgl_...`, copied as it is: the API would only say "unknown or revoked".
  if (apiKey.includes('...') || apiKey.includes('…'))
    throw new CliError(
      `${where} is a placeholder (it has "..."), not an API key`,
      EXIT.auth,
      "give the key itself: the vgl_ key npm start printed, or one made on the console's API keys page",
    );
  if (!isSendableApiKey(apiKey))
    throw new CliError(
      `${where} is not an API key: it has a space, line break, control or non-ASCII character`,
      EXIT.auth,
      hint,
    );
};

/**
 * The key, URL and notify URL to use: the environment's over the profile's. Fails when there is no
 * key. With both VIGIL_API_KEY and VIGIL_API_URL set the file is needed for the notify URL only, so a
 * broken one is a warning (`warn`), not a failure of every command.
 */
export const resolveCredentials = async (
  env: Env,
  given?: string,
  warn: (text: string) => void = () => {},
): Promise<Credentials> => {
  const name = profileName(env, given);
  let config: ConfigFile;
  try {
    config = await readConfig(env);
  } catch (error) {
    if (!(env.VIGIL_API_KEY && env.VIGIL_API_URL && error instanceof CliError)) throw error;
    warn(`${error.message}; using VIGIL_API_KEY and VIGIL_API_URL`);
    config = { profiles: {} };
  }
  const stored = config.profiles[name];
  const apiKey = env.VIGIL_API_KEY || stored?.apiKey;
  if (!apiKey) {
    const flag = name === DEFAULT_PROFILE ? '' : ` --profile ${name}`;
    throw new CliError(
      given || env.VIGIL_PROFILE ? `no profile "${name}" in ${configPath(env)}` : 'not logged in',
      EXIT.auth,
      `run vigil login${flag}, or set VIGIL_API_KEY`,
    );
  }
  checkApiKey(
    env.VIGIL_API_KEY ? 'VIGIL_API_KEY' : `the API key of profile "${name}" in ${configPath(env)}`,
    apiKey,
    env.VIGIL_API_KEY ? 'set it to the key alone (vgl_...)' : 'run vigil login again with the key',
  );
  const notifyUrl = env.VIGIL_NOTIFY_URL || stored?.notifyUrl;
  const apiUrl = env.VIGIL_API_URL || stored?.apiUrl || DEFAULT_API_URL;
  checkHttpUrl(
    env.VIGIL_API_URL ? 'VIGIL_API_URL' : `the API URL of profile "${name}" in ${configPath(env)}`,
    apiUrl,
    env.VIGIL_API_URL ? 'set it to e.g. http://127.0.0.1:4000' : 'run vigil login --api-url',
  );
  return {
    profile: name,
    keyFrom: env.VIGIL_API_KEY ? 'env' : 'profile',
    apiKey,
    apiUrl: apiUrl.replace(/\/+$/, ''),
    ...(notifyUrl && { notifyUrl }),
  };
};
