/**
 * A local EventBridge Scheduler: speaks the service's restJson1 protocol to the real
 * `@aws-sdk/client-scheduler` (CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules,
 * CreateScheduleGroup, GetScheduleGroup) and fires one-time `at()` schedules by calling `invoke`.
 *
 * One timer serves the earliest pending schedule and re-arms in steps of at most a minute, so a
 * schedule a year out never meets setTimeout's 2^31-1 ms cap. State can persist to a JSON file
 * (written atomically) so that a restart keeps the schedules and fires the overdue ones at once.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { EmulatedApiError, serveEmulatedApi } from './emulated-api';

export interface SchedulerTarget {
  arn: string;
  input: string | undefined;
  roleArn: string;
}

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

type SchedulerErrorCode =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'UnknownOperationException'
  | 'InternalServerException';

/** An error the emulator answers with, as the service does: a code, a status and a message. */
export class SchedulerApiError extends EmulatedApiError<SchedulerErrorCode> {
  override readonly name = 'SchedulerApiError';
}

const invalid = (message: string) => new SchedulerApiError('ValidationException', 400, message);
const notFound = (what: string) => new SchedulerApiError('ResourceNotFoundException', 404, `${what} does not exist.`);
const conflict = (what: string) => new SchedulerApiError('ConflictException', 409, `${what} already exists.`);

const ARN_PREFIX = 'arn:aws:scheduler:us-east-1:000000000000';
const DEFAULT_GROUP = 'default';
const MAX_TIMER_STEP_MS = 60_000;
const AWS_DEFAULT_RETRIES = 185;
const MAX_LOCAL_RETRIES = 10;
const BACKOFF_BASE_MS = 1_000;
const AT_PATTERN = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

const nameSchema = z.string().regex(/^[0-9a-zA-Z_.-]{1,64}$/, 'must be 1 to 64 characters of [0-9a-zA-Z-_.]');
const targetSchema = z.object({
  Arn: z.string().min(1),
  RoleArn: z.string().min(1),
  Input: z.string().optional(),
  RetryPolicy: z
    .object({
      MaximumRetryAttempts: z.number().int().min(0).max(185).optional(),
      MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(),
    })
    .optional(),
});
const flexibleTimeWindowSchema = z
  .object({
    Mode: z.enum(['OFF', 'FLEXIBLE']),
    MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional(),
  })
  .refine((window) => window.Mode === 'OFF' || window.MaximumWindowInMinutes !== undefined, {
    message: 'MaximumWindowInMinutes is required when Mode is FLEXIBLE',
  });
const stateSchema = z.enum(['ENABLED', 'DISABLED']);
const actionSchema = z.enum(['NONE', 'DELETE']);

/** The CreateSchedule body (Name travels in the path). */
const createScheduleSchema = z.object({
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  GroupName: nameSchema.optional(),
  FlexibleTimeWindow: flexibleTimeWindowSchema,
  Target: targetSchema,
  State: stateSchema.optional(),
  ActionAfterCompletion: actionSchema.optional(),
  Description: z.string().max(512).optional(),
  StartDate: z.number().optional(),
  EndDate: z.number().optional(),
});

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

type StoredSchedule = z.infer<typeof storedScheduleSchema>;
type StoredGroup = z.infer<typeof storedGroupSchema>;

interface LiveSchedule {
  stored: StoredSchedule;
  /** `at` plus the jitter, drawn once per process. */
  fireAt: number;
  firing: boolean;
}

/** Epoch ms of a one-time `at(yyyy-mm-ddThh:mm:ss)` expression in UTC. */
export const parseAtExpression = (expression: string, timezone: string | undefined): number => {
  if (/^(rate|cron)\(/.test(expression)) {
    throw invalid(`The scheduler emulator supports one-time at() expressions only, not ${expression}.`);
  }
  if (timezone !== undefined && timezone !== 'UTC') {
    throw invalid(`ScheduleExpressionTimezone ${timezone} is not supported: the scheduler emulator supports only UTC.`);
  }
  const stamp = AT_PATTERN.exec(expression)?.[1];
  const at = stamp === undefined ? Number.NaN : Date.parse(`${stamp}Z`);
  if (stamp === undefined || Number.isNaN(at) || new Date(at).toISOString().slice(0, 19) !== stamp) {
    throw invalid(`Invalid Schedule Expression ${expression}: expected at(yyyy-mm-ddThh:mm:ss).`);
  }
  return at;
};

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');

const parseName = (raw: string | undefined, what: string): string => {
  const parsed = nameSchema.safeParse(raw);
  if (!parsed.success) throw invalid(`${what} ${describeIssues(parsed.error)}`);
  return parsed.data;
};

const parseJson = (body: string): unknown => {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
};

const seconds = (ms: number) => ms / 1000;
const scheduleKey = (groupName: string, name: string) => `${groupName}/${name}`;
const scheduleArn = (s: StoredSchedule) => `${ARN_PREFIX}:schedule/${s.groupName}/${s.name}`;
const groupArn = (name: string) => `${ARN_PREFIX}:schedule-group/${name}`;

export async function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  const { invoke, statePath, host = '127.0.0.1', fireJitterMs = 0 } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const groups = new Map<string, StoredGroup>();
  const schedules = new Map<string, LiveSchedule>();
  const inFlight = new Set<Promise<void>>();
  const sleepers = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let writes: Promise<void> = Promise.resolve();

  const addSchedule = (stored: StoredSchedule) => {
    const jitter = fireJitterMs > 0 ? Math.floor(Math.random() * fireJitterMs) : 0;
    schedules.set(scheduleKey(stored.groupName, stored.name), { stored, fireAt: stored.at + jitter, firing: false });
  };

  // ---- persistence ----
  const persist = (): Promise<void> => {
    if (!statePath) return Promise.resolve();
    const snapshot = JSON.stringify({
      version: 1,
      groups: [...groups.values()],
      schedules: [...schedules.values()].map((live) => live.stored),
    });
    const write = writes.then(async () => {
      await mkdir(dirname(statePath), { recursive: true });
      const tmp = `${statePath}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, statePath);
    });
    writes = write.catch((error: unknown) =>
      log({ level: 'error', msg: 'scheduler state not saved', error: String(error) }),
    );
    return write;
  };

  const load = async () => {
    const createdAt = now();
    groups.set(DEFAULT_GROUP, { name: DEFAULT_GROUP, createdAt, modifiedAt: createdAt });
    if (!statePath) return;
    let text: string;
    try {
      text = await readFile(statePath, 'utf8');
    } catch (error) {
      log({ level: 'info', msg: 'no scheduler state, starting empty', statePath, error: String(error) });
      return;
    }
    let parsed: z.ZodSafeParseResult<z.infer<typeof stateFileSchema>> | undefined;
    try {
      parsed = stateFileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      log({ level: 'warn', msg: 'scheduler state is corrupt, starting empty', statePath });
      return;
    }
    for (const group of parsed.data.groups) groups.set(group.name, group);
    for (const stored of parsed.data.schedules) addSchedule(stored);
    log({ level: 'info', msg: 'scheduler state loaded', statePath, schedules: schedules.size });
  };

  // ---- firing ----
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (stopped) return resolve(false);
      const wake = () => {
        clearTimeout(handle);
        sleepers.delete(wake);
        resolve(false);
      };
      const handle = setTimeout(() => {
        sleepers.delete(wake);
        resolve(true);
      }, ms);
      sleepers.add(wake);
    });

  const isPending = (live: LiveSchedule) => live.stored.state === 'ENABLED' && !live.stored.completed && !live.firing;

  const isCurrent = (live: LiveSchedule) =>
    schedules.get(scheduleKey(live.stored.groupName, live.stored.name)) === live;

  const complete = async (live: LiveSchedule) => {
    if (!isCurrent(live)) return;
    if (live.stored.actionAfterCompletion === 'DELETE')
      schedules.delete(scheduleKey(live.stored.groupName, live.stored.name));
    else live.stored.completed = true;
    await persist().catch(() => {}); // already logged by persist
  };

  const deliver = async (live: LiveSchedule) => {
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
        if (!(await sleep(retryInMs)) || !isCurrent(live)) return;
      }
    }
    await complete(live);
  };

  const fire = (live: LiveSchedule) => {
    live.firing = true;
    const run: Promise<void> = deliver(live).finally(() => {
      live.firing = false;
      inFlight.delete(run);
      arm();
    });
    inFlight.add(run);
  };

  const tick = () => {
    timer = undefined;
    const time = now();
    for (const live of schedules.values()) if (isPending(live) && live.fireAt <= time) fire(live);
    arm();
  };

  /** One timer for the earliest pending schedule, never longer than a minute. */
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (stopped) return;
    let next = Number.POSITIVE_INFINITY;
    for (const live of schedules.values()) if (isPending(live)) next = Math.min(next, live.fireAt);
    if (next === Number.POSITIVE_INFINITY) return;
    timer = setTimeout(tick, Math.min(Math.max(next - now(), 0), MAX_TIMER_STEP_MS));
  };

  // ---- operations ----
  const findSchedule = (name: string, groupName: string) => {
    const live = schedules.get(scheduleKey(groupName, name));
    if (!live) throw notFound(`Schedule ${name} in group ${groupName}`);
    return live;
  };

  const createSchedule = async (name: string, body: unknown) => {
    const parsed = createScheduleSchema.safeParse(body);
    if (!parsed.success) throw invalid(describeIssues(parsed.error));
    const input = parsed.data;
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    if (!groups.has(groupName)) throw notFound(`Schedule group ${groupName}`);
    const at = parseAtExpression(input.ScheduleExpression, input.ScheduleExpressionTimezone);
    if (schedules.has(scheduleKey(groupName, name))) throw conflict(`Schedule ${name} in group ${groupName}`);
    const time = now();
    const stored: StoredSchedule = {
      name,
      groupName,
      expression: input.ScheduleExpression,
      timezone: input.ScheduleExpressionTimezone,
      at,
      state: input.State ?? 'ENABLED',
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      flexibleTimeWindow: input.FlexibleTimeWindow,
      target: input.Target,
      description: input.Description,
      createdAt: time,
      modifiedAt: time,
      completed: false,
    };
    addSchedule(stored);
    await persist();
    arm();
    return { ScheduleArn: scheduleArn(stored) };
  };

  const getSchedule = (name: string, groupName: string) => {
    const { stored } = findSchedule(name, groupName);
    return {
      Arn: scheduleArn(stored),
      Name: stored.name,
      GroupName: stored.groupName,
      ScheduleExpression: stored.expression,
      ScheduleExpressionTimezone: stored.timezone,
      State: stored.state,
      Description: stored.description,
      Target: stored.target,
      FlexibleTimeWindow: stored.flexibleTimeWindow,
      ActionAfterCompletion: stored.actionAfterCompletion,
      CreationDate: seconds(stored.createdAt),
      LastModificationDate: seconds(stored.modifiedAt),
    };
  };

  const deleteSchedule = async (name: string, groupName: string) => {
    findSchedule(name, groupName);
    schedules.delete(scheduleKey(groupName, name));
    await persist();
    arm();
    return {};
  };

  const listSchedules = (query: URLSearchParams) => {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const maxResults = Number(query.get('MaxResults') ?? 100);
    const offset = Number(Buffer.from(query.get('NextToken') ?? 'MA', 'base64url').toString('utf8'));
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
      throw invalid('MaxResults must be 1 to 100.');
    if (!Number.isInteger(offset) || offset < 0) throw invalid('NextToken is not valid.');
    const matching = [...schedules.values()]
      .map((live) => live.stored)
      .filter((s) => (!group || s.groupName === group) && s.name.startsWith(prefix) && (!state || s.state === state))
      .sort((a, b) => scheduleKey(a.groupName, a.name).localeCompare(scheduleKey(b.groupName, b.name)));
    const page = matching.slice(offset, offset + maxResults);
    const end = offset + page.length;
    return {
      Schedules: page.map((s) => ({
        Arn: scheduleArn(s),
        Name: s.name,
        GroupName: s.groupName,
        State: s.state,
        CreationDate: seconds(s.createdAt),
        LastModificationDate: seconds(s.modifiedAt),
        Target: { Arn: s.target.Arn },
      })),
      NextToken: end < matching.length ? Buffer.from(String(end)).toString('base64url') : undefined,
    };
  };

  const createScheduleGroup = async (name: string) => {
    if (groups.has(name)) throw conflict(`Schedule group ${name}`);
    const time = now();
    groups.set(name, { name, createdAt: time, modifiedAt: time });
    await persist();
    return { ScheduleGroupArn: groupArn(name) };
  };

  const getScheduleGroup = (name: string) => {
    const group = groups.get(name);
    if (!group) throw notFound(`Schedule group ${name}`);
    return {
      Arn: groupArn(name),
      Name: name,
      State: 'ACTIVE',
      CreationDate: seconds(group.createdAt),
      LastModificationDate: seconds(group.modifiedAt),
    };
  };

  // ---- HTTP ----
  const route = async (method: string, url: URL, body: string): Promise<unknown> => {
    const [collection, rawName, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const groupName = () => parseName(url.searchParams.get('groupName') ?? DEFAULT_GROUP, 'groupName');
    if (collection === 'schedules' && rest.length === 0) {
      if (rawName === undefined && method === 'GET') return listSchedules(url.searchParams);
      const name = () => parseName(rawName, 'Name');
      if (method === 'POST') return createSchedule(name(), parseJson(body));
      if (method === 'GET') return getSchedule(name(), groupName());
      if (method === 'DELETE') return deleteSchedule(name(), groupName());
    }
    if (collection === 'schedule-groups' && rawName !== undefined && rest.length === 0) {
      if (method === 'POST') return createScheduleGroup(parseName(rawName, 'Name'));
      if (method === 'GET') return getScheduleGroup(parseName(rawName, 'Name'));
    }
    throw new SchedulerApiError('UnknownOperationException', 404, `${method} ${url.pathname} is not emulated.`);
  };

  await load();
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
  log({ level: 'info', msg: 'scheduler emulator listening', endpoint });
  arm();

  return {
    port,
    endpoint,
    schedules: () =>
      [...schedules.values()].map(({ stored }) => ({
        name: stored.name,
        groupName: stored.groupName,
        at: stored.at,
        state: stored.state,
      })),
    async stop() {
      if (stopped) return;
      stopped = true;
      arm();
      for (const wake of [...sleepers]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      await writes;
    },
  };
}
