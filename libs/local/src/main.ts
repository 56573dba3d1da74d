/** `npm start`: the whole local stack in one process, until Ctrl-C. */
// First: a signal while the modules below load ends the start with a word (early-stop.mjs).
import { handStopSignalsTo, stoppedBeforeUpLine } from './early-stop.mjs';
import { readLocalConfig } from './config';
import { quietSdkNodeNotice } from './sdk-notice';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack } from './stack';
import { STOP_DRAIN_MS, onStopSignals, stopOnSignal } from './stop-signal';
import { releaseDataDirLockNow } from './data-dir-lock';
import { storeFailureNotice } from './store-failure-notice';

/** How long a stop after a store failure may take before the process exits anyway. */
const STOP_AFTER_FAILURE_MS = 5_000;

const main = async () => {
  quietSdkNodeNotice();
  const config = readLocalConfig();
  let stopping = false;
  // The store refuses every write from now on: a stack left running would answer each request with
  // an error. What it accepted is on disk, as after a kill -9, and is delivered after a restart.
  const storeFailed = async (reason: string) => {
    process.stderr.write(storeFailureNotice(reason, config.dataDir));
    if (stopping) return;
    stopping = true;
    await Promise.race([started.then((stack) => stack.stop()), sleep(STOP_AFTER_FAILURE_MS)]).catch(() => undefined);
    process.exit(1);
  };
  // Ctrl-C or SIGTERM before the banner stops the start where it is (what it started is stopped, the
  // data dir given back) and says so; a second one, not the same Ctrl-C relayed by npm, exits at once.
  const interrupt = new AbortController();
  let onSignal = onStopSignals({
    stop: (signal) => interrupt.abort(signal),
    again: (signal) => `\n${signal} again: stopped at once, before the Vigil local stack was up.\n`,
    beforeExit: () => releaseDataDirLockNow(config.dataDir),
    write: (text) => process.stdout.write(text),
    exit: (code) => process.exit(code),
  });
  handStopSignalsTo((signal) => void onSignal(signal));
  const started = startStack({
    ...config,
    onStoreFailure: (reason) => void storeFailed(reason),
    interrupt: interrupt.signal,
  });
  const stack = await started.catch((error: unknown) => {
    if (!interrupt.signal.aborted) throw error;
    process.stdout.write(stoppedBeforeUpLine(String(interrupt.signal.reason)));
    process.exit(0);
  });
  const line = '─'.repeat(64);
  process.stdout.write(
    [
      line,
      '  Vigil local stack is running',
      '',
      `  API         ${stack.url}`,
      ...(stack.webUrl ? [`  Web app     ${stack.webUrl}  (sign in with any email: development sign-in)`] : []),
      `  Tenant      ${stack.tenantId} (development)`,
      `  API key     ${stack.apiKey}`,
      `  Data        ${stack.dataDir}`,
      ...(stack.tableUpgrade ? [`  Upgraded    ${stack.tableUpgrade}`] : []),
      ...(stack.faults
        ? [`  CHAOS       faults injected between the handlers and the local services (VIGIL_CHAOS=${config.chaos})`]
        : []),
      '',
      '  Schedule a webhook 10 seconds from now:',
      `    curl -s ${stack.url}/v1/messages \\`,
      `      -H 'Authorization: Bearer ${stack.apiKey}' \\`,
      `      -H 'Content-Type: application/json' \\`,
      `      -d '{"url":"http://127.0.0.1:9000/hook","delay":10,"body":{"hello":"world"}}'`,
      '',
      '  Ctrl-C stops it; accepted messages are kept and delivered after a restart.',
      line,
      '',
    ].join('\n'),
  );
  onSignal = stopOnSignal({
    stop: (drainMs) => stack.stop({ drainMs }),
    drainMs: STOP_DRAIN_MS,
    write: (text) => process.stdout.write(text),
    exit: (code) => process.exit(code),
    beforeStop: () => (stopping = true),
  });
};

main().catch((error) => {
  process.stderr.write(`Vigil failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
