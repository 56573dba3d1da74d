/**
 * `vigil login`: asks for the API key and URL (or takes `--api-key` / `--api-url`), checks them
 * with a real call, and stores them in the profile (config.ts).
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Api } from './api';
import type { Env, Profile } from './config';
import { checkApiKey, checkHttpUrl, DEFAULT_API_URL, profileName, readConfig, saveProfile } from './config';
import type { CliContext } from './context';
import { CliError, EXIT, usageError } from './exit-codes';
import type { Output } from './output';
import { toCliError } from './problems';

export interface LoginOptions {
  apiKey?: string;
  apiUrl?: string;
  notifyUrl?: string;
  profile?: string;
}

/** Asks the questions on a terminal; the key is not echoed. */
const ask = async (context: CliContext, questions: Array<{ prompt: string; secret?: boolean; initial?: string }>) => {
  let muted = false;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) context.streams.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: context.stdin, output: echo, terminal: true });
  const answers: string[] = [];
  try {
    for (const { prompt, secret, initial } of questions) {
      const question = `${prompt}${initial ? ` [${initial}]` : ''}: `;
      context.streams.stderr.write(question);
      muted = true;
      const answer = await rl.question('').then(
        (text) => text.trim(),
        (error: NodeJS.ErrnoException) => {
          // Ctrl-C or Ctrl-D at a question (readline's AbortError): stopped there, as Ctrl-C anywhere.
          if (error.code !== 'ABORT_ERR') throw error;
          context.streams.stderr.write('\n');
          throw new CliError('login stopped at its questions: nothing was stored', EXIT.interrupted);
        },
      );
      muted = false;
      if (secret) context.streams.stderr.write('\n');
      else context.streams.stderr.write(`${answer}\n`);
      answers.push(answer || initial || '');
    }
  } finally {
    rl.close();
  }
  return answers;
};

export const login = async (
  context: CliContext,
  output: Output,
  options: LoginOptions,
  connect: (profile: Profile) => Api,
) => {
  const env: Env = context.env;
  const name = profileName(env, options.profile);
  const stored = (await readConfig(env)).profiles[name];
  let apiKey = options.apiKey;
  let apiUrl = options.apiUrl;
  let notifyUrl = options.notifyUrl;

  if (apiKey === undefined) {
    if (!context.stdinIsTTY) {
      throw usageError(
        'vigil login needs --api-key when it cannot ask (no terminal)',
        'vigil login --api-key vgl_... --api-url https://...',
      );
    }
    const defaultUrl = apiUrl ?? env.VIGIL_API_URL ?? stored?.apiUrl ?? DEFAULT_API_URL;
    const [key, url, notify] = await ask(context, [
      { prompt: 'API key (vgl_...)', secret: true },
      ...(apiUrl === undefined ? [{ prompt: 'API URL', initial: defaultUrl }] : []),
      ...(notifyUrl === undefined
        ? [{ prompt: 'Default notify URL for vigil run (optional)', initial: stored?.notifyUrl ?? '' }]
        : []),
    ]);
    apiKey = key;
    if (apiUrl === undefined) apiUrl = url;
    if (notifyUrl === undefined) notifyUrl = notify || undefined;
  }
  apiUrl = (apiUrl ?? env.VIGIL_API_URL ?? stored?.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  if (!apiKey) throw usageError('no API key given');
  checkApiKey(options.apiKey === undefined ? 'the key given' : '--api-key', apiKey, 'give the key alone (vgl_...)');
  checkHttpUrl('--api-url', apiUrl);
  if (notifyUrl === undefined) notifyUrl = stored?.notifyUrl;
  if (notifyUrl) checkHttpUrl('--notify-url', notifyUrl);

  const profile: Profile = { apiKey, apiUrl, ...(notifyUrl && { notifyUrl }) };
  try {
    await connect(profile).messages.listPage({ limit: 1 });
  } catch (error) {
    const failure = toCliError(error, {
      apiUrl,
      key: {
        what: options.apiKey === undefined ? 'the key given' : '--api-key',
        fix: `give a key of the API at ${apiUrl} (vgl_...), one not revoked`,
      },
    });
    throw new CliError(
      `login failed: ${failure.message}`,
      failure.code === EXIT.ok ? EXIT.failure : failure.code,
      failure.hint,
    );
  }
  const path = await saveProfile(env, name, profile);
  if (output.json) {
    output.data({ profile: name, apiUrl, ...(notifyUrl && { notifyUrl }), path });
  } else {
    const home = env.HOME;
    const shown = home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
    output.line(`Logged in to ${apiUrl} (profile ${name}); saved in ${shown}`);
  }
};
