/**
 * A local EventBridge Scheduler: speaks the service's restJson1 protocol to the real
 * `@aws-sdk/client-scheduler` (CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules,
 * CreateScheduleGroup, GetScheduleGroup) and fires one-time `at()` schedules by calling `invoke`.
 * Its parts: the state and its file (scheduler-state.ts, on the shared persisted-state.ts), the
 * firing (scheduler-firing.ts), the operations (scheduler-api.ts), over the shared HTTP front
 * (emulated-api.ts). State can persist to a JSON file (written atomically) so that a restart
 * keeps the schedules and fires the overdue ones at once.
 */
import { serveEmulatedApi } from './emulated-api';
import { schedulerApi } from './scheduler-api';
import type { SchedulerTarget } from './scheduler-firing';
import { SchedulerFiring } from './scheduler-firing';
import { SchedulerState } from './scheduler-state';

export { parseAtExpression, SchedulerApiError } from './scheduler-api';
export type { SchedulerTarget } from './scheduler-firing';

export interface SchedulerEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** A JSON file: schedules are saved there on every change and reloaded at start. */
  statePath?: string;
  invoke: (target: SchedulerTarget) => Promise<void>;
  /** 0 (the default) fires at the scheduled second; more fires anywhere in [at, at + jitter). */
  fireJitterMs?: number;
  now?: () => number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface ScheduleView {
  name: string;
  groupName: string;
  at: number;
  state: string;
}

export interface SchedulerEmulator {
  port: number;
  endpoint: string;
  stop(): Promise<void>;
  schedules(): ScheduleView[];
}

export async function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  const { invoke, statePath, host = '127.0.0.1', fireJitterMs = 0 } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const state = new SchedulerState({ statePath, fireJitterMs, now, log });
  const firing = new SchedulerFiring(state, { invoke, now, log });
  const route = schedulerApi(state, firing, now);
  let stopped = false;

  await state.load();
  const { server, port, endpoint } = await serveEmulatedApi({
    name: 'scheduler emulator',
    host,
    port: options.port,
    messageMember: 'Message',
    badRequestCode: 'ValidationException',
    internalErrorCode: 'InternalServerException',
    route: async (method, url, body) => ({ status: 200, body: await route(method, url, body) }),
    log,
  });
  log({ level: 'debug', msg: 'scheduler emulator listening', endpoint });
  firing.arm();

  return {
    port,
    endpoint,
    schedules: () =>
      [...state.schedules.values()].map(({ stored }) => ({
        name: stored.name,
        groupName: stored.groupName,
        at: stored.at,
        state: stored.state,
      })),
    async stop() {
      if (stopped) return;
      stopped = true;
      const firings = firing.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await firings;
      await state.flushed();
    },
  };
}
