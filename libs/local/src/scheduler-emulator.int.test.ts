import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import type { SchedulerEmulator, SchedulerEmulatorOptions, SchedulerTarget } from './scheduler-emulator';
import { startSchedulerEmulator } from './scheduler-emulator';

const PROMOTE_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:vigil-promote';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/vigil-scheduler';

const atExpression = (epochMs: number) => `at(${new Date(epochMs).toISOString().slice(0, 19)})`;
/** A whole second one to two seconds from now: the soonest an `at()` schedule can name. */
const nextSecondPlusOne = () => Math.ceil((Date.now() + 1000) / 1000) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (condition: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
};

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: Error) => error.name,
  );

/** Records every target invocation with the wall-clock time it arrived. */
const recorder = () => {
  const calls: Array<{ target: SchedulerTarget; at: number }> = [];
  return {
    calls,
    invoke: async (target: SchedulerTarget) => {
      calls.push({ target, at: Date.now() });
    },
  };
};

const scheduleInput = (name: string, due: number, extra: Partial<CreateScheduleCommandInput> = {}) => ({
  Name: name,
  ScheduleExpression: atExpression(due),
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' as const },
  ActionAfterCompletion: 'DELETE' as const,
  Target: { Arn: PROMOTE_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify({ bucketAt: due }) },
  ...extra,
});

const running: Array<{ emulator: SchedulerEmulator; client: SchedulerClient }> = [];
const tempDirs: string[] = [];

const start = async (options: SchedulerEmulatorOptions) => {
  const emulator = await startSchedulerEmulator(options);
  const client = new SchedulerClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  running.push({ emulator, client });
  return { emulator, client };
};

const tempStatePath = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-scheduler-'));
  tempDirs.push(dir);
  return join(dir, 'schedules.json');
};

afterEach(async () => {
  for (const { emulator, client } of running.splice(0)) {
    client.destroy();
    await emulator.stop();
  }
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('scheduler emulator', () => {
  describe('firing', () => {
    it('invokes the target with the exact Arn and Input, not before the at() second, then deletes the schedule', async () => {
      // Prepare
      const target = recorder();
      const { emulator, client } = await start({ invoke: target.invoke });
      const due = nextSecondPlusOne();

      // Act
      const created = await client.send(new CreateScheduleCommand(scheduleInput('bucket-a', due)));
      await waitFor(() => target.calls.length > 0, 4000);
      await waitFor(() => emulator.schedules().length === 0, 1000);

      // Assess
      expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/default/bucket-a');
      expect(target.calls).toHaveLength(1);
      expect(target.calls[0]?.target).toEqual({
        arn: PROMOTE_ARN,
        roleArn: ROLE_ARN,
        input: JSON.stringify({ bucketAt: due }),
      });
      expect(target.calls[0]?.at).toBeGreaterThanOrEqual(due);
      expect(target.calls[0]?.at).toBeLessThan(due + 500);
      expect(await errorName(client.send(new GetScheduleCommand({ Name: 'bucket-a' })))).toBe(
        'ResourceNotFoundException',
      );
    });

    it('retries a target that fails once and fires it successfully exactly once', async () => {
      // Prepare
      const successes: number[] = [];
      let attempts = 0;
      const { emulator, client } = await start({
        invoke: async () => {
          attempts += 1;
          if (attempts === 1) throw new Error('promote is cold');
          successes.push(Date.now());
        },
      });
      const due = nextSecondPlusOne();

      // Act
      await client.send(
        new CreateScheduleCommand(
          scheduleInput('bucket-retry', due, {
            Target: { Arn: PROMOTE_ARN, RoleArn: ROLE_ARN, RetryPolicy: { MaximumRetryAttempts: 3 } },
          }),
        ),
      );
      await waitFor(() => successes.length > 0, 5000);
      await waitFor(() => emulator.schedules().length === 0, 1000);
      await sleep(300);

      // Assess: one failure, one success about a second later (the first backoff step), nothing more
      expect(attempts).toBe(2);
      expect(successes).toHaveLength(1);
      expect(successes[0]).toBeGreaterThanOrEqual(due + 1000);
    });

    it('keeps a schedule 40 days out armed without firing it or overflowing setTimeout', async () => {
      // Prepare
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      const target = recorder();
      const { emulator, client } = await start({ invoke: target.invoke });
      const due = Date.now() + 40 * 24 * 3600 * 1000;

      try {
        // Act
        await client.send(new CreateScheduleCommand(scheduleInput('bucket-far', due)));
        await sleep(300);

        // Assess
        const listed = await client.send(new ListSchedulesCommand({ NamePrefix: 'bucket-' }));
        expect(listed.Schedules?.map((s) => [s.Name, s.GroupName, s.State])).toEqual([
          ['bucket-far', 'default', 'ENABLED'],
        ]);
        expect(emulator.schedules()).toEqual([
          { name: 'bucket-far', groupName: 'default', at: Math.floor(due / 1000) * 1000, state: 'ENABLED' },
        ]);
        expect(target.calls).toHaveLength(0);
        expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });

  describe('API', () => {
    it('rejects a second schedule with the same name in the same group with ConflictException', async () => {
      // Prepare
      const { client } = await start({ invoke: recorder().invoke });
      const input = scheduleInput('bucket-twice', Date.now() + 3600_000);
      await client.send(new CreateScheduleCommand(input));

      // Act
      const second = await errorName(client.send(new CreateScheduleCommand(input)));

      // Assess
      expect(second).toBe('ConflictException');
    });

    it('keeps groups apart: a missing group is not found, a group is created once, names repeat across groups', async () => {
      // Prepare
      const { client } = await start({ invoke: recorder().invoke });
      const input = scheduleInput('bucket-x', Date.now() + 3600_000);

      // Act
      const inMissingGroup = await errorName(client.send(new CreateScheduleCommand({ ...input, GroupName: 'vigil' })));
      await client.send(new CreateScheduleGroupCommand({ Name: 'vigil' }));
      const groupAgain = await errorName(client.send(new CreateScheduleGroupCommand({ Name: 'vigil' })));
      await client.send(new CreateScheduleCommand(input));
      const inGroup = await client.send(new CreateScheduleCommand({ ...input, GroupName: 'vigil' }));
      const group = await client.send(new GetScheduleGroupCommand({ Name: 'vigil' }));
      const listed = await client.send(new ListSchedulesCommand({ GroupName: 'vigil' }));

      // Assess
      expect(inMissingGroup).toBe('ResourceNotFoundException');
      expect(groupAgain).toBe('ConflictException');
      expect(inGroup.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/vigil/bucket-x');
      expect(group).toMatchObject({ Name: 'vigil', State: 'ACTIVE' });
      expect(group.CreationDate).toBeInstanceOf(Date);
      expect(listed.Schedules?.map((s) => s.GroupName)).toEqual(['vigil']);
      expect(await errorName(client.send(new GetScheduleGroupCommand({ Name: 'nope' })))).toBe(
        'ResourceNotFoundException',
      );
    });

    it('returns a schedule as created, deletes it, and a deleted schedule never fires', async () => {
      // Prepare
      const target = recorder();
      const { client } = await start({ invoke: target.invoke });
      const due = nextSecondPlusOne();
      await client.send(new CreateScheduleCommand(scheduleInput('bucket-cancelled', due)));
      await client.send(new CreateScheduleCommand(scheduleInput('bucket-kept', due)));

      // Act
      const fetched = await client.send(new GetScheduleCommand({ Name: 'bucket-cancelled', GroupName: 'default' }));
      await client.send(new DeleteScheduleCommand({ Name: 'bucket-cancelled' }));
      const deleteAgain = await errorName(client.send(new DeleteScheduleCommand({ Name: 'bucket-cancelled' })));
      const getAgain = await errorName(client.send(new GetScheduleCommand({ Name: 'bucket-cancelled' })));
      await waitFor(() => target.calls.length > 0, 4000);
      await sleep(200);

      // Assess
      expect(fetched).toMatchObject({
        Name: 'bucket-cancelled',
        GroupName: 'default',
        Arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/bucket-cancelled',
        ScheduleExpression: atExpression(due),
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        ActionAfterCompletion: 'DELETE',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: PROMOTE_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify({ bucketAt: due }) },
      });
      expect(fetched.CreationDate).toBeInstanceOf(Date);
      expect(Math.abs((fetched.CreationDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
      expect(deleteAgain).toBe('ResourceNotFoundException');
      expect(getAgain).toBe('ResourceNotFoundException');
      expect(target.calls.map((c) => c.target.input)).toEqual([JSON.stringify({ bucketAt: due })]);
    });

    it("takes a target's dead-letter queue as the deployment names it, returns it, and fires as usual", async () => {
      // Prepare
      const target = recorder();
      const { client } = await start({ invoke: target.invoke });
      const due = nextSecondPlusOne();
      const deadLetterConfig = { Arn: 'arn:aws:sqs:us-east-1:000000000000:vigil-scheduler-dlq' };
      const input = scheduleInput('bucket-with-dlq', due);

      // Act
      await client.send(
        new CreateScheduleCommand({ ...input, Target: { ...input.Target, DeadLetterConfig: deadLetterConfig } }),
      );
      const fetched = await client.send(new GetScheduleCommand({ Name: 'bucket-with-dlq' }));
      await waitFor(() => target.calls.length > 0, 4000);

      // Assess
      expect(fetched.Target?.DeadLetterConfig).toEqual(deadLetterConfig);
      expect(target.calls.map((c) => c.target.input)).toEqual([JSON.stringify({ bucketAt: due })]);
    });

    it('rejects what it cannot emulate or what is malformed with ValidationException', async () => {
      // Prepare
      const { client, emulator } = await start({ invoke: recorder().invoke });
      const base = scheduleInput('bucket-bad', Date.now() + 3600_000);
      const attempt = async (input: CreateScheduleCommandInput) => {
        try {
          await client.send(new CreateScheduleCommand(input));
          return 'created';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };

      // Act
      const rate = await attempt({ ...base, ScheduleExpression: 'rate(5 minutes)' });
      const cron = await attempt({ ...base, ScheduleExpression: 'cron(0 9 * * ? *)' });
      const paris = await attempt({ ...base, ScheduleExpressionTimezone: 'Europe/Paris' });
      const badDate = await attempt({ ...base, ScheduleExpression: 'at(2026-02-30T09:00:00)' });
      const noRole = await attempt({ ...base, Target: { Arn: PROMOTE_ARN } as never });
      const flexibleWithoutWindow = await attempt({ ...base, FlexibleTimeWindow: { Mode: 'FLEXIBLE' } });

      // Assess
      expect(rate).toMatch(/^ValidationException: .*at\(\) expressions only/);
      expect(cron).toMatch(/^ValidationException: .*at\(\) expressions only/);
      expect(paris).toMatch(/^ValidationException: .*only UTC/);
      expect(badDate).toMatch(/^ValidationException: Invalid Schedule Expression/);
      expect(noRole).toMatch(/^ValidationException: Target\.RoleArn/);
      expect(flexibleWithoutWindow).toMatch(/^ValidationException: .*MaximumWindowInMinutes/);
      expect(emulator.schedules()).toEqual([]);
    });
  });

  describe('persistence', () => {
    it('keeps schedules across a restart and fires the overdue ones at start, once', async () => {
      // Prepare: a schedule two seconds out, saved, and the emulator stopped before it is due
      const statePath = await tempStatePath();
      const first = await start({ statePath, invoke: recorder().invoke });
      const due = nextSecondPlusOne() + 1000;
      await first.client.send(
        new CreateScheduleCommand(scheduleInput('bucket-restart', due, { ActionAfterCompletion: 'NONE' })),
      );
      await first.client.send(new CreateScheduleGroupCommand({ Name: 'vigil' }));
      await first.emulator.stop();
      const target = recorder();

      // Act: start again "later" (a clock past the due time, rather than sleeping through it)
      const later = () => Date.now() + 5000;
      const second = await start({ statePath, invoke: target.invoke, now: later });
      await waitFor(() => target.calls.length > 0, 1000);
      await sleep(100);
      await second.emulator.stop();
      const third = await start({ statePath, invoke: target.invoke, now: later });
      await sleep(200);

      // Assess: fired at the second start only; kept (ActionAfterCompletion NONE) with its group
      expect(target.calls.map((c) => c.target.input)).toEqual([JSON.stringify({ bucketAt: due })]);
      const kept = await third.client.send(new GetScheduleCommand({ Name: 'bucket-restart' }));
      expect(kept).toMatchObject({ State: 'ENABLED', ActionAfterCompletion: 'NONE' });
      expect((await third.client.send(new GetScheduleGroupCommand({ Name: 'vigil' }))).Name).toBe('vigil');
      const saved = JSON.parse(await readFile(statePath, 'utf8'));
      expect(saved.schedules).toMatchObject([{ name: 'bucket-restart', completed: true }]);
    });

    it('starts empty, and says so, when the state file is corrupt', async () => {
      // Prepare
      const statePath = await tempStatePath();
      await writeFile(statePath, '{"version": 1, "schedules": [tru');
      const logs: Array<Record<string, unknown>> = [];

      // Act
      const { client, emulator } = await start({ statePath, invoke: recorder().invoke, log: (e) => logs.push(e) });
      await client.send(new CreateScheduleCommand(scheduleInput('bucket-fresh', Date.now() + 3600_000)));

      // Assess
      expect(logs.some((e) => String(e.msg).includes('corrupt'))).toBe(true);
      expect(emulator.schedules().map((s) => s.name)).toEqual(['bucket-fresh']);
      const saved = JSON.parse(await readFile(statePath, 'utf8'));
      expect(saved.schedules).toHaveLength(1);
    });
  });
});
