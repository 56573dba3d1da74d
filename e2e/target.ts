/**
 * Where the e2e suite runs: against a local stack it starts itself as a child process (the
 * default), or against a deployed stage given by `npm run e2e -- --base-url ... --api-key ...`.
 * A deployed stage must reach the suite's receiver: pass `--receiver-url` (a public URL, e.g. a
 * tunnel) that forwards to the receiver's local port (`--receiver-port`, default 9400).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_PROCESS_ENV, STACK_NODE_FLAGS } from '@vigil/local/config';
import { freePort } from '../test-support/free-port';

export interface E2eTarget {
  mode: 'local' | 'remote';
  baseUrl: string;
  apiKey: string;
}

/** Near window 5 s, 1 s buckets with a 2 s lead: the far path runs in seconds in the local stack. */
export const E2E_ENGINE_ENV: Record<string, string> = {
  VIGIL_NEAR_WINDOW_S: '5',
  VIGIL_FAR_LEAD_S: '2',
  VIGIL_BUCKET_S: '1',
  VIGIL_RETRY_BASE_MS: '500',
  VIGIL_RETRY_FACTOR: '2',
  VIGIL_SWEEP_GRACE_S: '5',
  VIGIL_SWEEP_EVERY_S: '5',
  VIGIL_LOG_LEVEL: 'warn',
  VIGIL_WEB: 'off',
};

export const remoteTarget = (): E2eTarget | undefined => {
  const baseUrl = process.env.E2E_BASE_URL;
  const apiKey = process.env.E2E_API_KEY;
  return baseUrl && apiKey ? { mode: 'remote', baseUrl: baseUrl.replace(/\/$/, ''), apiKey } : undefined;
};

export { freePort };

/** A JSON request to a stack's API with a key: the answer's status and parsed body. */
export const callApi = async (
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
};

/** The local stack as a child process, exactly as `npm start` runs it. */
export class StackProcess {
  private child?: ChildProcess;
  output = '';

  /** Whether it has started once (a restart keeps its ports: clients already hold its URL). */
  private started = false;

  /**
   * The largest file the stack may write, in KiB (bash's `ulimit -f`), from its next start: a
   * write past it fails with EFBIG, as one to a full disk fails with ENOSPC. Unset: no limit.
   */
  fileSizeLimitKb?: number;

  private constructor(
    readonly dataDir: string,
    public port: number,
    /** The web app's port, when the stack runs it (VIGIL_WEB=start: the production build). */
    public webPort?: number,
    /** More environment for the stack (the chaos suite's engine settings and VIGIL_CHAOS). */
    public env: Record<string, string> = {},
  ) {}

  static async create(options: { web?: boolean; env?: Record<string, string> } = {}): Promise<StackProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-e2e-'));
    return new StackProcess(dataDir, await freePort(), options.web ? await freePort() : undefined, options.env);
  }

  /** The running stack's process id (undefined when it is not running). */
  get pid(): number | undefined {
    const child = this.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  get webUrl(): string | undefined {
    return this.webPort === undefined ? undefined : `http://localhost:${this.webPort}`;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the stack and resolves with the API key it printed. A first start whose port was taken
   * meanwhile (a free port is picked before the stack binds it, and e2e files run two at a time)
   * starts again on other free ports, twice at most.
   */
  async start(timeoutMs = 60_000): Promise<string> {
    for (let tries = 1; ; tries += 1) {
      try {
        const key = await this.startOnce(timeoutMs);
        this.started = true;
        return key;
      } catch (error) {
        if (this.started || tries >= 3 || !/is already in use/.test(String(error))) throw error;
        this.port = await freePort();
        if (this.webPort !== undefined) this.webPort = await freePort();
      }
    }
  }

  private startOnce(timeoutMs: number): Promise<string> {
    const command = [process.execPath, ...STACK_NODE_FLAGS, '--import', 'tsx', 'libs/local/src/main.ts'];
    const limited =
      this.fileSizeLimitKb === undefined
        ? command
        : ['bash', '-c', 'ulimit -f "$0" && exec "$@"', String(this.fileSizeLimitKb), ...command];
    const child = spawn(limited[0]!, limited.slice(1), {
      env: {
        ...LOCAL_PROCESS_ENV,
        ...process.env,
        ...E2E_ENGINE_ENV,
        ...this.env,
        VIGIL_PORT: String(this.port),
        VIGIL_DATA_DIR: this.dataDir,
        ...(this.webPort !== undefined && { VIGIL_WEB: 'start', VIGIL_WEB_PORT: String(this.webPort) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the stack did not start within ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      // Only this start's output counts (after a restart the earlier banner is still in `output`).
      const from = this.output.length;
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        const key = /API key\s+(vgl_\w+)/.exec(this.output.slice(from))?.[1];
        if (key) {
          clearTimeout(timer);
          resolve(key);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited with ${code} before it was ready:\n${this.output}`));
      });
    });
  }

  /** Resolves with the stack's exit code once it has exited on its own (rejects if it has not within `timeoutMs`). */
  async exited(timeoutMs: number): Promise<number | null> {
    const child = this.child;
    if (!child) throw new Error('the stack was never started');
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack still runs after ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Stops the stack: SIGTERM for a clean stop, SIGKILL to simulate a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
