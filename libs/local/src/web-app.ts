/**
 * The web app (app/, Next.js) beside the local stack: started as a child process with what it
 * needs to reach the stack (the API's URL and the session secret the authorizer shares: the app
 * talks to the API only, first sign-ins included), and the development sign-in turned on. `dev` compiles pages on demand (no
 * build step after `npm install`); `start` serves the production build (`npm run build -w app`).
 * It ends with the stack, a stack killed with -9 included, and an app that stops on its own is
 * reported with its last lines.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCAL_STAGE } from './stack-services';

export type WebMode = 'dev' | 'start';

export interface WebAppOptions {
  mode: WebMode;
  port: number;
  host: string;
  apiUrl: string;
  sessionSecret: string;
  /** Extra environment for the app (tests). */
  env?: Record<string, string>;
  /** Told when the app stops without being asked to, with its exit code and its last lines. */
  onExit?: (how: string) => void;
  /** Aborted while the app starts (Ctrl-C before the stack is up): the app is stopped and the start rejects. */
  interrupt?: AbortSignal;
}

export interface WebApp {
  url: string;
  stop(): Promise<void>;
}

const APP_DIR = join(__dirname, '..', '..', '..', 'app');
const NEXT_BIN = require.resolve('next/dist/bin/next', { paths: [APP_DIR] });
const END_WITH_PARENT = pathToFileURL(join(__dirname, 'end-with-parent.mjs')).href;

/** Resolves once something accepts connections on host:port. */
const portOpen = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * What the stack hands to the console it runs on top of the shell's environment: the stack's own
 * API, secret and stage, whatever the shell holds. A shell with a deployment's settings exported
 * (`VIGIL_STAGE=prod` for the admin command, a deployed console's `VIGIL_SESSION_SECRET_PARAMETER`)
 * turned the local console's development sign-in off while the start's banner offered it, or had it
 * read its secret from SSM instead of the one the local authorizer checks: a local console is always
 * stage `local`, its secret the stack's.
 */
export const webAppEnv = (
  options: Pick<WebAppOptions, 'mode' | 'apiUrl' | 'sessionSecret' | 'env'>,
  url: string,
  shell: Record<string, string | undefined>,
): NodeJS.ProcessEnv => {
  const { VIGIL_SESSION_SECRET_PARAMETER: _deployedSecret, ...rest } = shell;
  return {
    ...rest,
    NODE_ENV: options.mode === 'dev' ? 'development' : 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXTAUTH_URL: url,
    NEXTAUTH_SECRET: options.sessionSecret,
    VIGIL_API_URL: options.apiUrl,
    VIGIL_DEV_SIGN_IN: 'on',
    VIGIL_STAGE: LOCAL_STAGE,
    VIGIL_END_WITH_PARENT: '1',
    ...options.env,
  };
};

export const startWebApp = async (options: WebAppOptions): Promise<WebApp> => {
  if (options.mode === 'start' && !existsSync(join(APP_DIR, '.next', 'BUILD_ID'))) {
    throw new Error(
      'VIGIL_WEB=start serves the production build, and there is none: run `npm run build -w app` first.',
    );
  }
  if (await portOpen(options.host, options.port)) {
    throw new Error(
      `Port ${options.port} is taken, so the web app cannot start: set VIGIL_WEB_PORT to a free port, or VIGIL_WEB=off.`,
    );
  }
  const url = `http://localhost:${options.port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', END_WITH_PARENT, NEXT_BIN, options.mode, '--port', String(options.port), '--hostname', options.host],
    {
      cwd: APP_DIR,
      env: webAppEnv(options, url, process.env),
      // Its stdin is a pipe nothing writes to: it ends when this process does (end-with-parent.mjs).
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  // Keep the last lines the app printed: if it dies, they say why.
  const recent: string[] = [];
  const keep = (chunk: Buffer) => {
    recent.push(...chunk.toString().split('\n').filter(Boolean));
    recent.splice(0, Math.max(0, recent.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await Promise.race([
      exited.then(() => 'exited' as const),
      new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 200)),
    ]);
    if (state === 'exited') throw new Error(`The web app stopped while starting:\n${recent.join('\n')}`);
    if (options.interrupt?.aborted) {
      await stopChild(child, exited);
      throw new Error('The web app was stopped while starting: the start was interrupted.');
    }
    if (await portOpen(options.host, options.port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The web app did not start within a minute:\n${recent.join('\n')}`);
    }
  }

  let stopping = false;
  void exited.then((code) => {
    if (!stopping) options.onExit?.(`exit code ${code}; its last lines:\n${recent.join('\n')}`);
  });
  return {
    url,
    async stop() {
      stopping = true;
      await stopChild(child, exited);
    },
  };
};

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
const stopChild = async (child: ChildProcess, exited: Promise<unknown>): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
};
