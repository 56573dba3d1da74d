/** Starts the soak's timer probe (bench/timer-probe.mjs) in a process of its own. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quantile } from './quantile';

/** How late the probe's 5 ms timers fired in a minute (ms). */
export interface ProbeMinute {
  p99Ms: number;
  maxMs: number;
  /** Timers that fired `lateMs` or more late. */
  lateCount: number;
}

export interface TimerProbe {
  /** The probe's lateness since the last ask, then starts a new minute. */
  minute(): Promise<ProbeMinute>;
  close(): void;
}

/** `lateMs`: how late a timer must fire to count as a stall. */
export const startTimerProbe = (lateMs: number): TimerProbe => {
  const child = fork(fileURLToPath(new URL('./timer-probe.mjs', import.meta.url)), [], {
    execArgv: [],
    stdio: 'inherit',
  });
  return {
    minute: () =>
      new Promise((resolve) => {
        child.once('message', (answer) => {
          const late = (answer as { late: number[] }).late.sort((a, b) => a - b);
          resolve({
            p99Ms: quantile(late, 0.99),
            maxMs: late.at(-1) ?? Number.NaN,
            lateCount: late.filter((ms) => ms >= lateMs).length,
          });
        });
        child.send('minute');
      }),
    close: () => child.disconnect(),
  };
};
