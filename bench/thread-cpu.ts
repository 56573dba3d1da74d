/**
 * CPU time by thread, for the soak: which thread's work grows over a run. Linux only (reads
 * /proc/<pid>/task/<tid>/stat: utime + stime in clock ticks, 100 a second on these machines); Node
 * names every thread "node", so threads are told apart by id, and the soak labels the ones it knows
 * (the stack's main thread has the process's id; the store's worker thread reports its own).
 */
import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** A /proc stat line's fields after the command name (which may hold spaces): field 3 first. */
const fieldsAfterName = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** CPU ms each live thread of `pid` has used since it started, by thread id. */
export const cpuByThread = async (pid: number): Promise<Map<number, number>> => {
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const entries = await Promise.all(
    tids.map(async (tid) => {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
      // utime is field 14, stime 15.
      const fields = fieldsAfterName(stat);
      return [Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MS] as const;
    }),
  );
  return new Map(entries.filter(([, ms]) => Number.isFinite(ms)));
};

/** Major page faults of `pid` so far (a page read back from disk: the thread that took it waited for it). */
export const majorFaultsOf = async (pid: number): Promise<number> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(fieldsAfterName(stat)[9]) || 0; // majflt is field 12
};

/**
 * How many times `pid`'s thread `tid` has been switched out involuntarily so far (preempted by
 * another thread while it could have run on: `nonvoluntary_ctxt_switches` in its status).
 */
export const preemptionsOf = async (pid: number, tid = pid): Promise<number> => {
  const status = await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => '');
  return Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0);
};

/**
 * Tracks `pid`'s threads minute by minute: `start()` takes the baseline, each `minute()` returns the
 * CPU ms each thread used since the last call (threads that ended in between are left out);
 * `series` keeps every minute's.
 */
export const threadCpuMeter = (pid: number) => {
  let last = new Map<number, number>();
  const series = new Map<number, number[]>();
  let minutes = 0;
  return {
    series,
    async start() {
      last = await cpuByThread(pid);
    },
    async minute() {
      const now = await cpuByThread(pid);
      const used = new Map<number, number>();
      for (const [tid, ms] of now) {
        const delta = ms - (last.get(tid) ?? 0);
        used.set(tid, delta);
        const row = series.get(tid) ?? Array<number>(minutes).fill(0);
        row.push(delta);
        series.set(tid, row);
      }
      minutes += 1;
      last = now;
      return used;
    },
  };
};
