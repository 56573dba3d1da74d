/**
 * The scheduler emulator's state: schedule groups and schedules as EventBridge Scheduler keeps
 * them, in memory and (with a state file) saved on every change and reloaded at start.
 */
import { z } from 'zod';
import type { PersistedState } from './persisted-state';
import { persistedState } from './persisted-state';

export const DEFAULT_GROUP = 'default';

export const targetSchema = z.object({
  Arn: z.string().min(1),
  RoleArn: z.string().min(1),
  Input: z.string().optional(),
  RetryPolicy: z
    .object({
      MaximumRetryAttempts: z.number().int().min(0).max(185).optional(),
      MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(),
    })
    .optional(),
  /** Kept and returned as given; the emulator has no queue to park a firing in (scheduler-firing.ts logs it). */
  DeadLetterConfig: z.object({ Arn: z.string().min(1).max(1600) }).optional(),
});
export const flexibleTimeWindowSchema = z
  .object({
    Mode: z.enum(['OFF', 'FLEXIBLE']),
    MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional(),
  })
  .refine((window) => window.Mode === 'OFF' || window.MaximumWindowInMinutes !== undefined, {
    message: 'MaximumWindowInMinutes is required when Mode is FLEXIBLE',
  });
export const stateSchema = z.enum(['ENABLED', 'DISABLED']);
export const actionSchema = z.enum(['NONE', 'DELETE']);

const storedScheduleSchema = z.object({
  name: z.string(),
  groupName: z.string(),
  expression: z.string(),
  timezone: z.string().optional(),
  at: z.number(),
  state: stateSchema,
  actionAfterCompletion: actionSchema,
  flexibleTimeWindow: flexibleTimeWindowSchema,
  target: targetSchema,
  description: z.string().optional(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  /** Fired (or given up on) with ActionAfterCompletion NONE: kept, never fired again. */
  completed: z.boolean(),
});
const storedGroupSchema = z.object({ name: z.string(), createdAt: z.number(), modifiedAt: z.number() });
const stateFileSchema = z.object({
  version: z.literal(1),
  groups: z.array(storedGroupSchema),
  schedules: z.array(storedScheduleSchema),
});

export type StoredSchedule = z.infer<typeof storedScheduleSchema>;
export type StoredGroup = z.infer<typeof storedGroupSchema>;

export interface LiveSchedule {
  stored: StoredSchedule;
  /** `at` plus the jitter, drawn once per process. */
  fireAt: number;
  firing: boolean;
}

export const scheduleKey = (groupName: string, name: string) => `${groupName}/${name}`;

export interface SchedulerStateOptions {
  /** A JSON file: schedules are saved there on every change and reloaded at start. */
  statePath?: string;
  /** 0 fires at the scheduled second; more fires anywhere in [at, at + jitter). */
  fireJitterMs: number;
  now: () => number;
  log: (entry: Record<string, unknown>) => void;
}

export class SchedulerState {
  readonly groups = new Map<string, StoredGroup>();
  readonly schedules = new Map<string, LiveSchedule>();
  private readonly file: PersistedState<z.infer<typeof stateFileSchema>>;

  constructor(private readonly options: SchedulerStateOptions) {
    this.file = persistedState({
      path: options.statePath,
      schema: stateFileSchema,
      what: 'scheduler state',
      log: options.log,
    });
  }

  add(stored: StoredSchedule): void {
    const { fireJitterMs } = this.options;
    const jitter = fireJitterMs > 0 ? Math.floor(Math.random() * fireJitterMs) : 0;
    this.schedules.set(scheduleKey(stored.groupName, stored.name), {
      stored,
      fireAt: stored.at + jitter,
      firing: false,
    });
  }

  /** Still the schedule under its name (not deleted, not replaced since). */
  isCurrent(live: LiveSchedule): boolean {
    return this.schedules.get(scheduleKey(live.stored.groupName, live.stored.name)) === live;
  }

  /** The default group, and whatever the state file holds. */
  async load(): Promise<void> {
    const createdAt = this.options.now();
    this.groups.set(DEFAULT_GROUP, { name: DEFAULT_GROUP, createdAt, modifiedAt: createdAt });
    const saved = await this.file.load();
    if (saved === undefined) return;
    for (const group of saved.groups) this.groups.set(group.name, group);
    for (const stored of saved.schedules) this.add(stored);
    this.options.log({
      level: 'debug',
      msg: 'scheduler state loaded',
      statePath: this.options.statePath,
      schedules: this.schedules.size,
    });
  }

  /** Saves the state as it is now (after every earlier save). */
  persist(): Promise<void> {
    return this.file.save({
      version: 1,
      groups: [...this.groups.values()],
      schedules: [...this.schedules.values()].map((live) => live.stored),
    });
  }

  flushed(): Promise<void> {
    return this.file.flushed();
  }
}
