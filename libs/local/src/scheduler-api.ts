/**
 * The scheduler emulator's API: EventBridge Scheduler's restJson1 operations (CreateSchedule,
 * GetSchedule, DeleteSchedule, ListSchedules, CreateScheduleGroup, GetScheduleGroup) on the
 * emulator's state, answering as the service does so that `@aws-sdk/client-scheduler` works as is.
 */
import { z } from 'zod';
import { describeIssues, EmulatedApiError, parseJsonBody } from './emulated-api';
import type { SchedulerState, StoredSchedule } from './scheduler-state';
import {
  actionSchema,
  DEFAULT_GROUP,
  flexibleTimeWindowSchema,
  scheduleKey,
  stateSchema,
  targetSchema,
} from './scheduler-state';

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
const AT_PATTERN = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

const nameSchema = z.string().regex(/^[0-9a-zA-Z_.-]{1,64}$/, 'must be 1 to 64 characters of [0-9a-zA-Z-_.]');

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

const parseName = (raw: string | undefined, what: string): string => {
  const parsed = nameSchema.safeParse(raw);
  if (!parsed.success) throw invalid(`${what} ${describeIssues(parsed.error)}`);
  return parsed.data;
};

const seconds = (ms: number) => ms / 1000;
const scheduleArn = (s: StoredSchedule) => `${ARN_PREFIX}:schedule/${s.groupName}/${s.name}`;
const groupArn = (name: string) => `${ARN_PREFIX}:schedule-group/${name}`;

/** The emulator's request router, over its state; `firing.arm()` after every change of schedules. */
export const schedulerApi = (
  state: SchedulerState,
  firing: { arm(): void },
  now: () => number,
): ((method: string, url: URL, body: string) => Promise<unknown>) => {
  const findSchedule = (name: string, groupName: string) => {
    const live = state.schedules.get(scheduleKey(groupName, name));
    if (!live) throw notFound(`Schedule ${name} in group ${groupName}`);
    return live;
  };

  const createSchedule = async (name: string, body: unknown) => {
    const parsed = createScheduleSchema.safeParse(body);
    if (!parsed.success) throw invalid(describeIssues(parsed.error));
    const input = parsed.data;
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    if (!state.groups.has(groupName)) throw notFound(`Schedule group ${groupName}`);
    const at = parseAtExpression(input.ScheduleExpression, input.ScheduleExpressionTimezone);
    if (state.schedules.has(scheduleKey(groupName, name))) throw conflict(`Schedule ${name} in group ${groupName}`);
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
    state.add(stored);
    await state.persist();
    firing.arm();
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
    state.schedules.delete(scheduleKey(groupName, name));
    await state.persist();
    firing.arm();
    return {};
  };

  const listSchedules = (query: URLSearchParams) => {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const wantedState = query.get('State');
    const maxResults = Number(query.get('MaxResults') ?? 100);
    const offset = Number(Buffer.from(query.get('NextToken') ?? 'MA', 'base64url').toString('utf8'));
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
      throw invalid('MaxResults must be 1 to 100.');
    if (!Number.isInteger(offset) || offset < 0) throw invalid('NextToken is not valid.');
    const matching = [...state.schedules.values()]
      .map((live) => live.stored)
      .filter(
        (s) =>
          (!group || s.groupName === group) && s.name.startsWith(prefix) && (!wantedState || s.state === wantedState),
      )
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
    if (state.groups.has(name)) throw conflict(`Schedule group ${name}`);
    const time = now();
    state.groups.set(name, { name, createdAt: time, modifiedAt: time });
    await state.persist();
    return { ScheduleGroupArn: groupArn(name) };
  };

  const getScheduleGroup = (name: string) => {
    const group = state.groups.get(name);
    if (!group) throw notFound(`Schedule group ${name}`);
    return {
      Arn: groupArn(name),
      Name: name,
      State: 'ACTIVE',
      CreationDate: seconds(group.createdAt),
      LastModificationDate: seconds(group.modifiedAt),
    };
  };

  const route = async (method: string, url: URL, body: string): Promise<unknown> => {
    const [collection, rawName, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const groupName = () => parseName(url.searchParams.get('groupName') ?? DEFAULT_GROUP, 'groupName');
    if (collection === 'schedules' && rest.length === 0) {
      if (rawName === undefined && method === 'GET') return listSchedules(url.searchParams);
      const name = () => parseName(rawName, 'Name');
      if (method === 'POST') return createSchedule(name(), parseJsonBody(body, invalid));
      if (method === 'GET') return getSchedule(name(), groupName());
      if (method === 'DELETE') return deleteSchedule(name(), groupName());
    }
    if (collection === 'schedule-groups' && rawName !== undefined && rest.length === 0) {
      if (method === 'POST') return createScheduleGroup(parseName(rawName, 'Name'));
      if (method === 'GET') return getScheduleGroup(parseName(rawName, 'Name'));
    }
    throw new SchedulerApiError('UnknownOperationException', 404, `${method} ${url.pathname} is not emulated.`);
  };
  return route;
};
