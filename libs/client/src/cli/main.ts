/** The `vigil` executable: runs the command line with the process's environment and streams, and exits with its code. */
import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import type { Api } from './api';
import type { Credentials } from './config';
import { runCli } from './program';
import { sdkApi } from './sdk-api';

const connect = (credentials: Credentials): Api => sdkApi(credentials);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  streams: { stdout: process.stdout, stderr: process.stderr },
  get stdin() {
    return process.stdin;
  },
  stdinIsTTY: isatty(0),
  connect,
  now: () => Date.now(),
  hostname,
});
process.exitCode = code;
