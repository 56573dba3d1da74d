/**
 * The scheduler emulator's firing: one timer for the earliest pending schedule, re-armed in steps
 * of at most a minute (so a schedule a year out never meets setTimeout's 2^31-1 ms cap); a due
 * schedule invokes its target, retried with backoff as EventBridge Scheduler does (fewer times),
 * then completes (deleted, or kept and never fired again).
 */
import type { LiveSchedule, SchedulerState } from './scheduler-state';
import { scheduleKey } from './scheduler-state';

export interface SchedulerTarget {
  arn: string;
  input: string | undefined;
  roleArn: string;
}

const MAX_TIMER_STEP_MS = 60_000;
const AWS_DEFAULT_RETRIES = 185;
const MAX_LOCAL_RETRIES = 10;
const BACKOFF_BASE_MS = 1_000;

export interface SchedulerFiringOptions {
  invoke: (target: SchedulerTarget) => Promise<void>;
  now: () => number;
  log: (entry: Record<string, unknown>) => void;
}

export class SchedulerFiring {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly state: SchedulerState,
    private readonly options: SchedulerFiringOptions,
  ) {}

  /** One timer for the earliest pending schedule, never longer than a minute. */
  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    let next = Number.POSITIVE_INFINITY;
    for (const live of this.state.schedules.values()) if (isPending(live)) next = Math.min(next, live.fireAt);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(next - this.options.now(), 0), MAX_TIMER_STEP_MS));
  }

  /** Stops the timer, cuts retry waits short and waits for the firings in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.arm();
    for (const wake of [...this.sleepers]) wake();
    await Promise.allSettled([...this.inFlight]);
  }

  private tick(): void {
    this.timer = undefined;
    const time = this.options.now();
    for (const live of this.state.schedules.values()) if (isPending(live) && live.fireAt <= time) this.fire(live);
    this.arm();
  }

  private fire(live: LiveSchedule): void {
    live.firing = true;
    const run: Promise<void> = this.deliver(live).finally(() => {
      live.firing = false;
      this.inFlight.delete(run);
      this.arm();
    });
    this.inFlight.add(run);
  }

  private async deliver(live: LiveSchedule): Promise<void> {
    const { invoke, now, log } = this.options;
    const { name, groupName, target } = live.stored;
    const retries = Math.min(target.RetryPolicy?.MaximumRetryAttempts ?? AWS_DEFAULT_RETRIES, MAX_LOCAL_RETRIES);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await invoke({ arn: target.Arn, input: target.Input, roleArn: target.RoleArn });
        log({ level: 'info', msg: 'schedule fired', name, groupName, attempt, latenessMs: now() - live.stored.at });
        break;
      } catch (error) {
        if (attempt > retries) {
          log({
            level: 'error',
            msg: 'schedule dropped after retries',
            name,
            groupName,
            attempt,
            // Where EventBridge Scheduler would have parked it.
            deadLetterQueue: target.DeadLetterConfig?.Arn,
            error: String(error),
          });
          break;
        }
        const retryInMs = BACKOFF_BASE_MS * 2 ** (attempt - 1);
        log({
          level: 'warn',
          msg: 'schedule target failed',
          name,
          groupName,
          attempt,
          retryInMs,
          error: String(error),
        });
        if (!(await this.sleep(retryInMs)) || !this.state.isCurrent(live)) return;
      }
    }
    await this.complete(live);
  }

  private async complete(live: LiveSchedule): Promise<void> {
    if (!this.state.isCurrent(live)) return;
    if (live.stored.actionAfterCompletion === 'DELETE')
      this.state.schedules.delete(scheduleKey(live.stored.groupName, live.stored.name));
    else live.stored.completed = true;
    await this.state.persist().catch(() => {}); // already logged by persist
  }

  /** True once `ms` passed; false when stopped first. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.stopped) return resolve(false);
      const wake = () => {
        clearTimeout(handle);
        this.sleepers.delete(wake);
        resolve(false);
      };
      const handle = setTimeout(() => {
        this.sleepers.delete(wake);
        resolve(true);
      }, ms);
      this.sleepers.add(wake);
    });
  }
}

const isPending = (live: LiveSchedule) => live.stored.state === 'ENABLED' && !live.stored.completed && !live.firing;
