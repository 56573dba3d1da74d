import { describe, expect, it } from 'vitest';
import type { MessageIn } from '../src';
import {
  fieldErrors,
  FixedClock,
  isKnownTimeZone,
  localTimeOf,
  MessageBatchIn,
  MessageIn as MessageInSchema,
  MessagePatch,
  MessageFilterSchema,
  patchMessage,
  resolveSendAt,
  scheduleBatch,
  scheduleMessage,
  toMessageOut,
  ValidationError,
  wallTimeToInstant,
} from '../src';
import { memorySchedulingDeps } from './memory-ports';

const utc = (iso: string) => Date.parse(iso);
/** Well before every transition below, so all of 2026's are within the year ahead. */
const NOW = utc('2026-01-15T12:00:00.000Z');

describe('a wall time in a time zone', () => {
  describe('on an ordinary day', () => {
    it('is the instant the zone gives it, summer and winter', () => {
      expect(wallTimeToInstant('2026-07-01T09:00:00', 'Europe/Berlin')).toBe(utc('2026-07-01T07:00:00Z'));
      expect(wallTimeToInstant('2026-01-20T09:00', 'Europe/Berlin')).toBe(utc('2026-01-20T08:00:00Z'));
      expect(wallTimeToInstant('2026-07-01T09:00:00', 'America/New_York')).toBe(utc('2026-07-01T13:00:00Z'));
      expect(wallTimeToInstant('2026-01-20T09:00:00', 'America/New_York')).toBe(utc('2026-01-20T14:00:00Z'));
      expect(wallTimeToInstant('2026-06-01T09:00:00', 'Asia/Kolkata')).toBe(utc('2026-06-01T03:30:00Z'));
    });

    it('keeps milliseconds exactly', () => {
      expect(wallTimeToInstant('2026-07-01T09:00:00.250', 'Europe/Berlin')).toBe(utc('2026-07-01T07:00:00.250Z'));
    });

    it('is undefined for a date that does not exist, an offset-bearing time or an unknown zone', () => {
      expect(wallTimeToInstant('2026-02-30T09:00:00', 'Europe/Berlin')).toBeUndefined();
      expect(wallTimeToInstant('2026-07-01T09:00:00Z', 'Europe/Berlin')).toBeUndefined();
      expect(wallTimeToInstant('2026-07-01T09:00:00', 'Mars/Olympus_Mons')).toBeUndefined();
    });
  });

  describe('in a spring-forward gap (the wall time does not exist)', () => {
    it('moves forward by the gap: Europe/Berlin, 2026-03-29, 02:00 CET -> 03:00 CEST', () => {
      expect(wallTimeToInstant('2026-03-29T02:30:00', 'Europe/Berlin')).toBe(utc('2026-03-29T01:30:00Z'));
      expect(localTimeOf(utc('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:30:00.000+02:00');
      // The edges: the gap's first instant is 03:00 CEST; the last minute before it is still CET.
      expect(wallTimeToInstant('2026-03-29T02:00:00', 'Europe/Berlin')).toBe(utc('2026-03-29T01:00:00Z'));
      expect(wallTimeToInstant('2026-03-29T01:59:59.999', 'Europe/Berlin')).toBe(utc('2026-03-29T00:59:59.999Z'));
      expect(wallTimeToInstant('2026-03-29T03:00:00', 'Europe/Berlin')).toBe(utc('2026-03-29T01:00:00Z'));
    });

    it('moves forward by the gap: America/New_York, 2026-03-08, 02:00 EST -> 03:00 EDT', () => {
      expect(wallTimeToInstant('2026-03-08T02:30:00', 'America/New_York')).toBe(utc('2026-03-08T07:30:00Z'));
      expect(localTimeOf(utc('2026-03-08T07:30:00Z'), 'America/New_York')).toBe('2026-03-08T03:30:00.000-04:00');
      expect(wallTimeToInstant('2026-03-08T01:59:00', 'America/New_York')).toBe(utc('2026-03-08T06:59:00Z'));
      expect(wallTimeToInstant('2026-03-08T03:00:00', 'America/New_York')).toBe(utc('2026-03-08T07:00:00Z'));
    });

    it('moves forward by a 30-minute gap: Australia/Lord_Howe, 2026-10-04, 02:00 -> 02:30 (+11:00)', () => {
      expect(wallTimeToInstant('2026-10-04T02:15:00', 'Australia/Lord_Howe')).toBe(utc('2026-10-03T15:45:00Z'));
      expect(localTimeOf(utc('2026-10-03T15:45:00Z'), 'Australia/Lord_Howe')).toBe('2026-10-04T02:45:00.000+11:00');
      expect(wallTimeToInstant('2026-10-04T02:30:00', 'Australia/Lord_Howe')).toBe(utc('2026-10-03T15:30:00Z'));
    });
  });

  describe('in a fall-back overlap (the wall time happens twice)', () => {
    it('is the earlier instant: Europe/Berlin, 2026-10-25, 03:00 CEST -> 02:00 CET', () => {
      expect(wallTimeToInstant('2026-10-25T02:30:00', 'Europe/Berlin')).toBe(utc('2026-10-25T00:30:00Z'));
      expect(localTimeOf(utc('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00.000+02:00');
      // Either side of the overlap there is one reading.
      expect(wallTimeToInstant('2026-10-25T01:59:00', 'Europe/Berlin')).toBe(utc('2026-10-24T23:59:00Z'));
      expect(wallTimeToInstant('2026-10-25T03:00:00', 'Europe/Berlin')).toBe(utc('2026-10-25T02:00:00Z'));
    });

    it('is the earlier instant: America/New_York, 2026-11-01, 02:00 EDT -> 01:00 EST', () => {
      expect(wallTimeToInstant('2026-11-01T01:30:00', 'America/New_York')).toBe(utc('2026-11-01T05:30:00Z'));
      expect(localTimeOf(utc('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00.000-04:00');
      expect(wallTimeToInstant('2026-11-01T01:00:00', 'America/New_York')).toBe(utc('2026-11-01T05:00:00Z'));
      expect(wallTimeToInstant('2026-11-01T02:00:00', 'America/New_York')).toBe(utc('2026-11-01T07:00:00Z'));
    });

    it('is the earlier instant of a 30-minute overlap: Australia/Lord_Howe, 2026-04-05, 02:00 -> 01:30', () => {
      expect(wallTimeToInstant('2026-04-05T01:45:00', 'Australia/Lord_Howe')).toBe(utc('2026-04-04T14:45:00Z'));
      expect(localTimeOf(utc('2026-04-04T14:45:00Z'), 'Australia/Lord_Howe')).toBe('2026-04-05T01:45:00.000+11:00');
    });
  });

  describe('at 45-minute offsets, and in a zone whose rules changed', () => {
    it('reads Kathmandu (+05:45), Eucla (+08:45) and the Chatham Islands, whose clocks change at 02:45', () => {
      expect(wallTimeToInstant('2026-06-01T09:00', 'Asia/Kathmandu')).toBe(utc('2026-06-01T03:15:00Z'));
      expect(wallTimeToInstant('2026-06-01T09:00', 'Australia/Eucla')).toBe(utc('2026-06-01T00:15:00Z'));
      // Chatham springs forward 02:45 (+12:45) -> 03:45 (+13:45) on 2026-09-27: 03:00 is 04:00.
      expect(wallTimeToInstant('2026-09-27T02:44', 'Pacific/Chatham')).toBe(utc('2026-09-26T13:59:00Z'));
      expect(wallTimeToInstant('2026-09-27T03:00', 'Pacific/Chatham')).toBe(utc('2026-09-26T14:15:00Z'));
      expect(localTimeOf(utc('2026-09-26T14:15:00Z'), 'Pacific/Chatham')).toBe('2026-09-27T04:00:00.000+13:45');
      // And falls back 03:45 (+13:45) -> 02:45 (+12:45) on 2026-04-05: 03:00 is the earlier.
      expect(wallTimeToInstant('2026-04-05T03:00', 'Pacific/Chatham')).toBe(utc('2026-04-04T13:15:00Z'));
    });

    it('reads Mexico City by its rules now, without the daylight saving time it dropped in 2022', () => {
      // Under the old rules 02:30 on the first Sunday of April did not exist, and 01:30 on the
      // last Sunday of October happened twice; now each is one instant at -06:00.
      expect(wallTimeToInstant('2027-04-04T02:30', 'America/Mexico_City')).toBe(utc('2027-04-04T08:30:00Z'));
      expect(wallTimeToInstant('2027-10-31T01:30', 'America/Mexico_City')).toBe(utc('2027-10-31T07:30:00Z'));
      expect(localTimeOf(utc('2027-07-01T15:00:00Z'), 'America/Mexico_City')).toBe('2027-07-01T09:00:00.000-06:00');
    });
  });

  it('shows a local time with a numeric offset, +00:00 in UTC as everywhere else', () => {
    const instant = utc('2026-01-10T09:00:00.000Z');
    for (const zone of ['UTC', 'Etc/UTC', 'GMT', 'Europe/London']) {
      expect(localTimeOf(instant, zone), zone).toBe('2026-01-10T09:00:00.000+00:00');
    }
    expect(localTimeOf(instant, 'America/St_Johns')).toBe('2026-01-10T05:30:00.000-03:30');
  });

  it('knows IANA zone names and refuses others', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC', 'Asia/Kolkata']) {
      expect(isKnownTimeZone(zone), zone).toBe(true);
    }
    for (const zone of ['Mars/Olympus_Mons', '+02:00', 'UTC+2', '', 'Europe/Berlin ', 'x'.repeat(65)]) {
      expect(isKnownTimeZone(zone), zone).toBe(false);
    }
  });
});

describe('resolving sendAt', () => {
  it('reads a wall time in the timezone and keeps the zone and the local time of the instant', () => {
    expect(resolveSendAt({ sendAt: '2026-03-29T02:30:00', timezone: 'Europe/Berlin' }, NOW)).toEqual({
      sendAt: utc('2026-03-29T01:30:00Z'),
      timezone: 'Europe/Berlin',
      localSendAt: '2026-03-29T03:30:00.000+02:00',
    });
  });

  it('takes an offset as the instant, whatever the timezone, and keeps the zone to show it in', () => {
    expect(resolveSendAt({ sendAt: '2026-07-01T07:00:00Z', timezone: 'America/New_York' }, NOW)).toEqual({
      sendAt: utc('2026-07-01T07:00:00Z'),
      timezone: 'America/New_York',
      localSendAt: '2026-07-01T03:00:00.000-04:00',
    });
  });

  it('never names an instant before the one written: a part of a millisecond rounds up, in a date-time, a wall time and a delay', () => {
    expect(resolveSendAt({ sendAt: '2026-12-01T00:00:00.9999999Z' }, NOW)).toEqual({
      sendAt: utc('2026-12-01T00:00:01Z'),
    });
    expect(resolveSendAt({ sendAt: '2026-12-01T00:00:00.1230000Z' }, NOW)).toEqual({
      sendAt: utc('2026-12-01T00:00:00.123Z'),
    });
    expect(resolveSendAt({ sendAt: '2026-12-01T01:00:00.0000001', timezone: 'Europe/Berlin' }, NOW)).toMatchObject({
      sendAt: utc('2026-12-01T00:00:00.001Z'),
    });
    expect(resolveSendAt({ delay: 0.0004 }, NOW)).toEqual({ sendAt: NOW + 1 });
    // Float noise is not a fraction: 1.1 s is 1,100 ms, not 1,101.
    expect(resolveSendAt({ delay: 1.1 }, NOW)).toEqual({ sendAt: NOW + 1_100 });
    const filter = MessageFilterSchema.parse({
      createdAtFrom: '2026-12-01T00:00:00.0005Z',
      createdAtTo: '2026-12-01T00:00:00.9995Z',
    });
    expect(filter).toEqual({
      createdAtFrom: utc('2026-12-01T00:00:00.001Z'),
      createdAtTo: utc('2026-12-01T00:00:01Z'),
    });
  });

  it('refuses a wall time with neither an offset nor a timezone, rather than guess a zone', () => {
    expect(resolveSendAt({ sendAt: '2026-07-01T09:00:00' }, NOW)).toEqual({
      error: { path: 'sendAt', message: expect.stringMatching(/no UTC offset/) },
    });
  });

  it('reads a wall time without a zone of its own in the zone given for the message (a PATCH)', () => {
    const resolved = resolveSendAt({ sendAt: '2026-11-01T01:30:00' }, NOW, '', 'America/New_York');
    expect(resolved).toEqual({
      sendAt: utc('2026-11-01T05:30:00Z'),
      timezone: 'America/New_York',
      localSendAt: '2026-11-01T01:30:00.000-04:00',
    });
  });

  it('counts a delay from now and shows its instant in the timezone', () => {
    expect(resolveSendAt({ delay: 60, timezone: 'Asia/Kolkata' }, NOW)).toEqual({
      sendAt: NOW + 60_000,
      timezone: 'Asia/Kolkata',
      localSendAt: '2026-01-15T17:31:00.000+05:30',
    });
  });

  it('says what time it is when a sendAt with an offset is in the past, so a local time written with Z shows', () => {
    // 12:30 meant in Berlin but written 12:30Z would be ahead; 11:00Z is an hour past.
    expect(resolveSendAt({ sendAt: '2026-01-15T11:00:00Z' }, NOW)).toEqual({
      error: { path: 'sendAt', message: 'is more than 60 seconds in the past (it is now 2026-01-15T12:00:00.000Z)' },
    });
  });

  it('applies the past window and the year horizon to the resolved instant, naming it', () => {
    // 12:30 in Berlin is 11:30Z: 30 minutes past, although 12:30Z would still be ahead.
    expect(resolveSendAt({ sendAt: '2026-01-15T12:30:00', timezone: 'Europe/Berlin' }, NOW)).toEqual({
      error: {
        path: 'sendAt',
        message:
          'is more than 60 seconds in the past (2026-01-15T11:30:00.000Z in Europe/Berlin; it is now 2026-01-15T12:00:00.000Z)',
      },
    });
    // 13:00:30 in Berlin is 30 s ago: delivered now, like any sendAt up to a minute late.
    expect(resolveSendAt({ sendAt: '2026-01-15T12:59:30', timezone: 'Europe/Berlin' }, NOW)).toMatchObject({
      sendAt: NOW - 30_000,
    });
    // A year ahead in UTC, but 2027-01-15T12:30 in New York is 17:30Z: over the horizon.
    expect(resolveSendAt({ sendAt: '2027-01-15T12:30:00', timezone: 'America/New_York' }, NOW, 'messages.2.')).toEqual({
      error: {
        path: 'messages.2.sendAt',
        message:
          'is more than 365 days ahead (2027-01-15T17:30:00.000Z in America/New_York; the latest is 2027-01-15T12:00:00.000Z)',
      },
    });
  });

  describe('at the bounds', () => {
    const at = (sendAt: string, now = NOW) => resolveSendAt({ sendAt }, now);
    const iso = (ms: number) => new Date(ms).toISOString();

    it('takes now, and up to 60 s past (delivered now), to the millisecond, and refuses a millisecond more', () => {
      expect(at(iso(NOW))).toEqual({ sendAt: NOW });
      expect(at(iso(NOW - 1))).toEqual({ sendAt: NOW - 1 });
      expect(at(iso(NOW - 60_000))).toEqual({ sendAt: NOW - 60_000 });
      expect(at(iso(NOW - 60_001))).toEqual({
        error: { path: 'sendAt', message: 'is more than 60 seconds in the past (it is now 2026-01-15T12:00:00.000Z)' },
      });
    });

    it('takes exactly 365 days ahead and refuses a millisecond more, naming the latest instant', () => {
      expect(at('2027-01-15T12:00:00.000Z')).toEqual({ sendAt: utc('2027-01-15T12:00:00Z') });
      expect(at('2027-01-15T12:00:00.001Z')).toEqual({
        error: { path: 'sendAt', message: 'is more than 365 days ahead (the latest is 2027-01-15T12:00:00.000Z)' },
      });
      // Below a millisecond too: .0001 past the bound is the next millisecond, never the bound itself.
      expect(at('2027-01-15T12:00:00.0001Z')).toHaveProperty('error');
    });

    it('counts 365 days, not a calendar year, across a February 29th, and says so', () => {
      // 2027-03-01 to 2028-03-01 is a calendar year of 366 days: one day over.
      const march = utc('2027-03-01T00:00:00Z');
      expect(at('2028-03-01T00:00:00Z', march)).toEqual({
        error: { path: 'sendAt', message: 'is more than 365 days ahead (the latest is 2028-02-29T00:00:00.000Z)' },
      });
      expect(at('2028-02-29T00:00:00Z', march)).toEqual({ sendAt: utc('2028-02-29T00:00:00Z') });
      // From a leap day, 365 days on is February 28th.
      const leapDay = utc('2028-02-29T12:00:00Z');
      expect(at('2029-02-28T12:00:00Z', leapDay)).toEqual({ sendAt: utc('2029-02-28T12:00:00Z') });
      expect(at('2029-03-01T12:00:00Z', leapDay)).toHaveProperty('error');
    });

    it('reads the widest offsets there are, +14:00 and -12:00, as the instants they name', () => {
      expect(at('2026-06-01T09:00:00+14:00')).toEqual({ sendAt: utc('2026-05-31T19:00:00Z') });
      expect(at('2026-06-01T09:00:00-12:00')).toEqual({ sendAt: utc('2026-06-01T21:00:00Z') });
      expect(at('2026-06-01T09:00:00-00:00')).toEqual({ sendAt: utc('2026-06-01T09:00:00Z') });
    });

    it('refuses a date long past or far ahead as out of range, not as malformed', () => {
      expect(at('1969-12-31T23:59:59Z')).toMatchObject({ error: { message: /^is more than 60 seconds in the past/ } });
      expect(at('0001-01-01T00:00:00Z')).toMatchObject({ error: { message: /^is more than 60 seconds in the past/ } });
      expect(at('9999-12-31T23:59:59.999Z')).toMatchObject({ error: { message: /^is more than 365 days ahead/ } });
    });
  });

  it('refuses an unknown zone at timezone', () => {
    expect(resolveSendAt({ sendAt: '2026-07-01T09:00:00', timezone: 'Mars/Olympus_Mons' }, NOW)).toEqual({
      error: { path: 'timezone', message: 'unknown time zone "Mars/Olympus_Mons"' },
    });
  });
});

describe('the request schemas', () => {
  const errorsOf = (schema: typeof MessageInSchema | typeof MessageBatchIn | typeof MessagePatch, input: unknown) => {
    const result = schema.safeParse(input);
    return result.success ? [] : fieldErrors(result.error);
  };

  it('take a wall time with a timezone, and seconds are optional', () => {
    expect(
      errorsOf(MessageInSchema, { url: 'https://e.com', sendAt: '2026-03-29T02:30', timezone: 'Europe/Berlin' }),
    ).toEqual([]);
  });

  it('refuse a wall time without a timezone at sendAt, as before time zones', () => {
    expect(errorsOf(MessageInSchema, { url: 'https://e.com', sendAt: '2026-03-29T02:30:00' })).toEqual([
      { path: 'sendAt', message: expect.stringMatching(/no UTC offset/) },
    ]);
  });

  it('name an unknown zone at timezone, with its index in a batch', () => {
    const errors = errorsOf(MessageBatchIn, {
      messages: [
        { url: 'https://e.com', delay: 1, timezone: 'Europe/Berlin' },
        { url: 'https://e.com', sendAt: '2026-03-29T02:30:00', timezone: 'Europe/Atlantis' },
      ],
    });
    expect(errors).toEqual([
      {
        path: 'messages.1.timezone',
        message: expect.stringContaining('unknown time zone "Europe/Atlantis"'),
      },
    ]);
  });

  it('refuse a PATCH of the timezone alone (keep the instant or the wall time?) but take it with sendAt', () => {
    expect(errorsOf(MessagePatch, { timezone: 'Europe/Berlin' })).toEqual([
      { path: 'timezone', message: expect.stringMatching(/give sendAt \(or delay\) with timezone/) },
    ]);
    expect(errorsOf(MessagePatch, { sendAt: '2026-10-25T02:30:00', timezone: 'Europe/Berlin' })).toEqual([]);
    // Without a zone here, the message's own zone decides (or the use-case refuses it).
    expect(errorsOf(MessagePatch, { sendAt: '2026-10-25T02:30:00' })).toEqual([]);
  });
});

describe('scheduling and moving a message in a time zone', () => {
  const setup = () => {
    const deps = memorySchedulingDeps(new FixedClock(NOW));
    return { deps, store: deps.store };
  };
  const input = (over: Record<string, unknown>): MessageIn =>
    MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

  it('stores the resolved instant, the zone and the local time, and shows them', async () => {
    const { deps, store } = setup();
    const { message } = await scheduleMessage(
      deps,
      'tnt_a',
      input({ sendAt: '2026-03-08T02:30:00', timezone: 'America/New_York' }),
    );
    const stored = await store.get('tnt_a', message.id);
    expect(stored).toMatchObject({
      sendAt: utc('2026-03-08T07:30:00Z'),
      dueAt: utc('2026-03-08T07:30:00Z'),
      timezone: 'America/New_York',
      localSendAt: '2026-03-08T03:30:00.000-04:00',
    });
    expect(toMessageOut(stored!, { withBody: false })).toMatchObject({
      sendAt: '2026-03-08T07:30:00.000Z',
      timezone: 'America/New_York',
      localSendAt: '2026-03-08T03:30:00.000-04:00',
    });
  });

  it('resolves each message of a batch in its own zone, and refuses the whole batch for one bad time', async () => {
    const { deps, store } = setup();
    const { messages } = await scheduleBatch(deps, 'tnt_a', [
      input({ sendAt: '2026-10-25T02:30:00', timezone: 'Europe/Berlin' }),
      input({ sendAt: '2026-11-01T01:30:00', timezone: 'America/New_York' }),
      input({ sendAt: '2026-10-25T02:30:00Z' }),
    ]);
    expect(messages.map((m) => [m.sendAt, m.timezone, m.localSendAt])).toEqual([
      [utc('2026-10-25T00:30:00Z'), 'Europe/Berlin', '2026-10-25T02:30:00.000+02:00'],
      [utc('2026-11-01T05:30:00Z'), 'America/New_York', '2026-11-01T01:30:00.000-04:00'],
      [utc('2026-10-25T02:30:00Z'), undefined, undefined],
    ]);
    const refused = scheduleBatch(deps, 'tnt_a', [
      input({ delay: 10 }),
      input({ sendAt: '2026-01-15T12:30:00', timezone: 'Europe/Berlin' }),
    ]);
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toMatchObject({ errors: [{ path: 'messages.1.sendAt' }] });
    expect(store.messages.size).toBe(3);
  });

  it('re-reads a PATCHed wall time in the zone the message was scheduled in', async () => {
    const { deps } = setup();
    const { message } = await scheduleMessage(
      deps,
      'tnt_a',
      input({ sendAt: '2026-07-01T09:00:00', timezone: 'Europe/Berlin' }),
    );
    const moved = await patchMessage(deps, 'tnt_a', message.id, { sendAt: '2026-03-29T02:30:00' });
    expect(moved).toMatchObject({
      sendAt: utc('2026-03-29T01:30:00Z'),
      timezone: 'Europe/Berlin',
      localSendAt: '2026-03-29T03:30:00.000+02:00',
      version: message.version + 1,
    });
  });

  it('moves a PATCHed message into another zone when the patch names one, and keeps the zone for an offset', async () => {
    const { deps } = setup();
    const { message } = await scheduleMessage(
      deps,
      'tnt_a',
      input({ sendAt: '2026-07-01T09:00:00', timezone: 'Europe/Berlin' }),
    );
    const moved = await patchMessage(deps, 'tnt_a', message.id, {
      sendAt: '2026-11-01T01:30:00',
      timezone: 'America/New_York',
    });
    expect(moved).toMatchObject({ sendAt: utc('2026-11-01T05:30:00Z'), timezone: 'America/New_York' });
    const exact = await patchMessage(deps, 'tnt_a', message.id, { sendAt: '2026-12-24T17:00:00.125Z' });
    expect(exact).toMatchObject({
      sendAt: utc('2026-12-24T17:00:00.125Z'),
      timezone: 'America/New_York',
      localSendAt: '2026-12-24T12:00:00.125-05:00',
    });
  });

  it('refuses a PATCHed wall time on a message without a zone, and leaves the message as it was', async () => {
    const { deps, store } = setup();
    const { message } = await scheduleMessage(deps, 'tnt_a', input({ sendAt: '2026-07-01T09:00:00Z' }));
    await expect(patchMessage(deps, 'tnt_a', message.id, { sendAt: '2026-07-02T09:00:00' })).rejects.toMatchObject({
      errors: [{ path: 'sendAt', message: expect.stringMatching(/no UTC offset/) }],
    });
    expect(await store.get('tnt_a', message.id)).toEqual(message);
  });
});
