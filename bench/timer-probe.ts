/** Starts the soak's timer probe (bench/timer-probe.mjs) in a process of its own. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How late the probe's 5 ms timers fired in a minute (ms). */
export interface ProbeMinute {
  p99Ms: number;
  maxMs: number;
  count: number;
  /** Timers that fired 10 ms or more late. */
  lateCount: number;
}

export interface TimerProbe {
  /** The probe's lateness since the last ask, then starts a new minute. */
  minute(): Promise<ProbeMinute>;
  close(): void;
}

export const startTimerProbe = (): TimerProbe => {
  const child = fork(fileURLToPath(new URL('./timer-probe.mjs', import.meta.url)), [], {
    execArgv: [],
    stdio: 'inherit',
  });
  return {
    minute: () =>
      new Promise((resolve) => {
        child.once('message', (answer) => resolve(answer as ProbeMinute));
        child.send('minute');
      }),
    close: () => child.disconnect(),
  };
};
