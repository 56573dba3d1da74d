/** The `vigil` executable: runs the command line with the process's environment and streams, and exits with its code. */
import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import type { Api } from './api';
import { handleOutputErrors } from './broken-pipe';
import type { Credentials } from './config';
import { runCli } from './program';
import { sdkApi } from './sdk-api';

const connect = (credentials: Credentials): Api => sdkApi(credentials);

const argv = process.argv.slice(2);
handleOutputErrors([process.stdout, process.stderr], {
  keepRunning: argv[0] === 'run',
  exit: (code) => process.exit(code),
});

const code = await runCli(argv, {
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
