/**
 * Time zones through the real API (local gateway, handlers, dynalite, fauxqs, scheduler emulator):
 * a `sendAt` wall time with an IANA `timezone` on create, batch and PATCH, the daylight-saving
 * gap and overlap rules on the next real transitions of two zones, what GET and list show, the
 * 422s, and a zoned message delivered at the instant it resolved to. Every response is checked
 * against openapi.yaml by the client.
 */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  receiver = await startReceiver({ respond: () => 200 });
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
  receiver.setSecret((await api.get('/v1/signing-secret')).json.secret);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

/**
 * The next day (from tomorrow, within the year the API accepts) on which `zone` springs forward
 * or falls back, as a local date `YYYY-MM-DD`: found from the zone's offsets, so the test keeps
 * working whatever year it runs in.
 */
const nextTransition = (zone: string, kind: 'spring' | 'fall'): string => {
  let day = DateTime.now().setZone(zone).startOf('day').plus({ days: 2 });
  for (let i = 0; i < 360; i += 1, day = day.plus({ days: 1 })) {
    const before = day.minus({ days: 1 }).set({ hour: 12 }).offset;
    const after = day.set({ hour: 12 }).offset;
    if ((kind === 'spring' && after > before) || (kind === 'fall' && after < before)) {
      return day.toISODate() as string;
    }
  }
  throw new Error(`${zone} has no ${kind} transition in the coming year`);
};

const url = (path: string) => `${receiver.url}${path}`;

describe('a sendAt wall time with a timezone', () => {
  it('in a spring-forward gap is moved forward by the gap (Europe/Berlin, 02:30 -> 03:30 CEST)', async () => {
    const date = nextTransition('Europe/Berlin', 'spring');
    const created = await api.post('/v1/messages', {
      url: url('/tz/berlin-spring'),
      sendAt: `${date}T02:30:00`,
      timezone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      sendAt: `${date}T01:30:00.000Z`,
      timezone: 'Europe/Berlin',
      localSendAt: `${date}T03:30:00.000+02:00`,
    });
  });

  it('in a fall-back overlap is the earlier instant (Europe/Berlin, 02:30 CEST, not CET)', async () => {
    const date = nextTransition('Europe/Berlin', 'fall');
    const created = await api.post('/v1/messages', {
      url: url('/tz/berlin-fall'),
      sendAt: `${date}T02:30:00`,
      timezone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ sendAt: `${date}T00:30:00.000Z`, localSendAt: `${date}T02:30:00.000+02:00` });
  });

  it('in a gap and an overlap of America/New_York, and GET and list show the zone and the local time', async () => {
    const spring = nextTransition('America/New_York', 'spring');
    const fall = nextTransition('America/New_York', 'fall');
    const gap = await api.post('/v1/messages', {
      url: url('/tz/ny-spring'),
      sendAt: `${spring}T02:30`,
      timezone: 'America/New_York',
    });
    const overlap = await api.post('/v1/messages', {
      url: url('/tz/ny-fall'),
      sendAt: `${fall}T01:30:00`,
      timezone: 'America/New_York',
    });
    expect(gap.json).toMatchObject({ sendAt: `${spring}T07:30:00.000Z`, localSendAt: `${spring}T03:30:00.000-04:00` });
    expect(overlap.json).toMatchObject({ sendAt: `${fall}T05:30:00.000Z`, localSendAt: `${fall}T01:30:00.000-04:00` });

    const got = await api.get(`/v1/messages/${overlap.json.id}`);
    expect(got.json).toMatchObject({
      sendAt: `${fall}T05:30:00.000Z`,
      timezone: 'America/New_York',
      localSendAt: `${fall}T01:30:00.000-04:00`,
    });
    const listed = await api.get('/v1/messages?limit=100');
    const inList = listed.json.items.find((m: { id: string }) => m.id === gap.json.id);
    expect(inList).toMatchObject({ timezone: 'America/New_York', localSendAt: `${spring}T03:30:00.000-04:00` });
  });

  it('with an offset is the instant the offset names, and the zone is kept to show it in', async () => {
    const sendAt = DateTime.now().plus({ days: 3 }).toUTC().set({ millisecond: 125 });
    const created = await api.post('/v1/messages', {
      url: url('/tz/offset'),
      sendAt: sendAt.toISO(),
      timezone: 'Asia/Kolkata',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      sendAt: sendAt.toISO(),
      timezone: 'Asia/Kolkata',
      localSendAt: sendAt.setZone('Asia/Kolkata').toISO(),
    });
    expect(created.json.localSendAt).toMatch(/\.125\+05:30$/);
  });

  it('in UTC shows its local time with +00:00, like any other zone', async () => {
    const day = DateTime.now().toUTC().plus({ days: 30 }).toISODate();
    const created = await api.post('/v1/messages', { url: url('/tz/utc'), sendAt: `${day}T09:00:00`, timezone: 'UTC' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      sendAt: `${day}T09:00:00.000Z`,
      timezone: 'UTC',
      localSendAt: `${day}T09:00:00.000+00:00`,
    });
  });
});

describe('a sendAt with digits past the millisecond', () => {
  it('is the next whole millisecond, never earlier, as a wall time with a timezone as with an offset', async () => {
    const day = DateTime.now().toUTC().plus({ days: 3 }).toISODate();
    const nines = '9'.repeat(20);
    for (const [sendAt, timezone, due] of [
      [`${day}T09:00:00.${nines}`, 'UTC', `${day}T09:00:01.000Z`],
      [`${day}T09:00:00.${nines}Z`, undefined, `${day}T09:00:01.000Z`],
      [`${day}T10:00:00.1230000001`, 'Europe/Berlin', `${day}T09:00:00.124Z`],
      [`${day}T09:00:00.1230000`, 'UTC', `${day}T09:00:00.123Z`],
    ]) {
      const created = await api.post('/v1/messages', { url: url('/tz/fraction'), sendAt, timezone });
      expect(created.status, sendAt).toBe(201);
      expect(created.json.sendAt, sendAt).toBe(due);
      await api.delete(`/v1/messages/${created.json.id}`);
    }
  });
});

describe('a timezone written in another case, or as an alias', () => {
  it("is stored and answered in the tz database's spelling and current name (asia/kolkata is Asia/Kolkata, not as typed nor ICU's Asia/Calcutta)", async () => {
    const day = DateTime.now().plus({ days: 3 }).toISODate();
    const kolkata = await api.post('/v1/messages', {
      url: url('/tz/kolkata'),
      sendAt: `${day}T12:00:00`,
      timezone: 'asia/kolkata',
    });
    expect(kolkata.status).toBe(201);
    expect(kolkata.json).toMatchObject({
      sendAt: `${day}T06:30:00.000Z`,
      timezone: 'Asia/Kolkata',
      localSendAt: `${day}T12:00:00.000+05:30`,
    });
    expect((await api.get(`/v1/messages/${kolkata.json.id}`)).json.timezone).toBe('Asia/Kolkata');
  });

  it('that links to another zone (US/Eastern, EST, CET, GMT) keeps the name it was given, and is read by the zone it links to', async () => {
    // Forty days on, and the same wall time half a year later: each side of a daylight-saving change.
    for (const day of [DateTime.now().plus({ days: 40 }), DateTime.now().plus({ days: 220 })].map((d) =>
      d.toISODate(),
    )) {
      for (const [given, zone] of [
        ['US/Eastern', 'America/New_York'],
        ['EST', 'America/Panama'],
        ['CET', 'Europe/Brussels'],
        ['GMT', 'UTC'],
        ['Etc/GMT+5', 'Etc/GMT+5'],
      ] as const) {
        const due = DateTime.fromISO(`${day}T12:00:00`, { zone });
        const created = await api.post('/v1/messages', {
          url: url('/tz/link'),
          sendAt: `${day}T12:00:00`,
          timezone: given,
        });
        expect(created.status, given).toBe(201);
        expect(created.json, given).toMatchObject({
          sendAt: due.toUTC().toISO(),
          timezone: given,
          localSendAt: due.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ"),
        });
        const got = await api.get(`/v1/messages/${created.json.id}`);
        expect(got.json.timezone, given).toBe(given);
        // A wall time patched in without a zone is read in the message's own, by the same name.
        const patched = await api.patch(`/v1/messages/${created.json.id}`, { sendAt: `${day}T13:00:00` });
        expect(patched.json, given).toMatchObject({ timezone: given, sendAt: due.plus({ hours: 1 }).toUTC().toISO() });
        await api.delete(`/v1/messages/${created.json.id}`);
      }
    }
  });
});

describe('a batch with time zones', () => {
  it('resolves each message in its own zone, all or nothing', async () => {
    const berlin = nextTransition('Europe/Berlin', 'spring');
    const howe = nextTransition('Australia/Lord_Howe', 'spring');
    const created = await api.post('/v1/messages/batch', {
      messages: [
        { url: url('/tz/batch-0'), sendAt: `${berlin}T02:30:00`, timezone: 'Europe/Berlin' },
        { url: url('/tz/batch-1'), sendAt: `${howe}T02:15:00`, timezone: 'Australia/Lord_Howe' },
        { url: url('/tz/batch-2'), delay: 3600 },
      ],
    });
    expect(created.status).toBe(201);
    const [first, second, third] = created.json.items;
    expect(first).toMatchObject({ timezone: 'Europe/Berlin', localSendAt: `${berlin}T03:30:00.000+02:00` });
    // Lord Howe Island springs forward by 30 minutes: 02:15 does not exist and becomes 02:45.
    expect(second).toMatchObject({ timezone: 'Australia/Lord_Howe', localSendAt: `${howe}T02:45:00.000+11:00` });
    expect(third).not.toHaveProperty('timezone');
    expect(third).not.toHaveProperty('localSendAt');
  });

  it('refuses the whole batch for an unknown zone in one message, naming it and its index', async () => {
    const before = (await api.get('/v1/messages?limit=100')).json.items.length;
    const refused = await api.post('/v1/messages/batch', {
      messages: [
        { url: url('/tz/batch-ok'), delay: 60, timezone: 'Europe/Berlin' },
        { url: url('/tz/batch-bad'), sendAt: '2027-01-10T09:00:00', timezone: 'Europe/Atlantis' },
      ],
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      { path: 'messages.1.timezone', message: expect.stringContaining('unknown time zone "Europe/Atlantis"') },
    ]);
    expect((await api.get('/v1/messages?limit=100')).json.items.length).toBe(before);
  });
});

describe('refused times', () => {
  it('an unknown zone is a 422 problem naming it at timezone, and nothing is stored', async () => {
    const refused = await api.post('/v1/messages', {
      url: url('/tz/unknown'),
      sendAt: '2027-01-10T09:00:00',
      timezone: 'Mars/Olympus_Mons',
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json.errors).toEqual([
      { path: 'timezone', message: expect.stringContaining('unknown time zone "Mars/Olympus_Mons"') },
    ]);
    expect(refused.json.detail).toContain('Mars/Olympus_Mons');
    // An offset written as the zone is told where it goes.
    const offset = await api.post('/v1/messages', { url: url('/tz/z'), sendAt: '2027-01-10T09:00:00', timezone: 'Z' });
    expect(offset.status).toBe(422);
    expect(offset.json.errors).toEqual([
      { path: 'timezone', message: expect.stringMatching(/^unknown time zone "Z": .*a fixed offset goes in sendAt/) },
    ]);
  });

  it('a wall time with neither offset nor timezone is a 422 at sendAt, as before time zones', async () => {
    const refused = await api.post('/v1/messages', { url: url('/tz/naked'), sendAt: '2027-01-10T09:00:00' });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: 'sendAt', message: expect.stringMatching(/no UTC offset/) }]);
  });

  it('a day the month lacks is a 422 saying the date does not exist, with a timezone or an offset', async () => {
    const zoned = await api.post('/v1/messages', {
      url: url('/tz/feb-30'),
      sendAt: '2027-02-30T09:00:00',
      timezone: 'Europe/Berlin',
    });
    const offset = await api.post('/v1/messages', { url: url('/tz/apr-31'), sendAt: '2027-04-31T09:00:00Z' });
    const month = await api.post('/v1/messages', { url: url('/tz/month-13'), sendAt: '2027-13-01T09:00:00+01:00' });
    expect(zoned.status).toBe(422);
    expect(zoned.json.errors).toEqual([
      { path: 'sendAt', message: '2027-02-30 does not exist: February 2027 has 28 days' },
    ]);
    expect(offset.json.errors).toEqual([
      { path: 'sendAt', message: '2027-04-31 does not exist: April 2027 has 30 days' },
    ]);
    expect(month.json.errors).toEqual([
      { path: 'sendAt', message: '2027-13-01 does not exist: the month is 01 to 12' },
    ]);
  });

  it('a date before 1970, years 0000 to 0099 too, is a 422 saying it is past, never read as 1900 to 1999', async () => {
    // Date.UTC reads a year 0 to 99 as 1900 to 1999; RFC 3339's 0000 is a leap year, 1900 none.
    const leapDay = await api.post('/v1/messages', { url: url('/tz/year-0'), sendAt: '0000-02-30T09:00:00Z' });
    expect(leapDay.status).toBe(422);
    expect(leapDay.json.errors).toEqual([
      { path: 'sendAt', message: '0000-02-30 does not exist: February 0000 has 29 days' },
    ]);
    const past = /^is more than 60 seconds in the past \(/;
    for (const [sendAt, timezone] of [
      ['0000-02-29T09:00:00Z'],
      ['0000-02-29T09:00:00', 'Europe/Berlin'],
      ['0099-12-31T23:59:59.999+14:00'],
      ['1969-12-31T23:59:59.999Z'],
    ]) {
      const refused = await api.post('/v1/messages', { url: url('/tz/before-1970'), sendAt, timezone });
      expect(refused.status, sendAt).toBe(422);
      expect(refused.json.errors, sendAt).toEqual([{ path: 'sendAt', message: expect.stringMatching(past) }]);
    }
    // The instant judged is shown as the year written, not 1900.
    const zoned = await api.post('/v1/messages', {
      url: url('/tz/year-0'),
      sendAt: '0000-02-29T09:00:00',
      timezone: 'UTC',
    });
    expect(zoned.json.errors[0].message).toContain('(0000-02-29T09:00:00.000Z in UTC;');
    // A filter's bound that far back is an instant like any other: everything is due after it.
    const all = (await api.get('/v1/messages?limit=100')).json.items.length;
    const since = await api.get('/v1/messages?limit=100&sendAtFrom=0000-02-29T00:00:00Z');
    expect(since.status).toBe(200);
    expect(since.json.items.length).toBe(all);
    const before = await api.get('/v1/messages?sendAtFrom=0000-01-01T00:00:00Z&sendAtTo=0099-12-31T00:00:00Z');
    expect(before.status).toBe(200);
    expect(before.json.items).toEqual([]);
  });

  it('24:00 and a leap second (23:59:60), which ISO 8601 and RFC 3339 write, are a 422 saying what to write instead', async () => {
    const cases = [
      [
        '2027-02-28T24:00:00Z',
        undefined,
        '24:00 is the end of 2027-02-28: write the start of the next day, 2027-03-01T00:00:00Z',
      ],
      [
        '2027-12-31T24:00',
        'Europe/Berlin',
        '24:00 is the end of 2027-12-31: write the start of the next day, 2028-01-01T00:00:00',
      ],
      [
        '2027-06-30T23:59:60Z',
        undefined,
        "second 60 is a leap second, which Vigil's clock does not count (POSIX time, as every computer's): write 2027-06-30T23:59:59.999Z, or second 00 of the next minute",
      ],
      [
        '2027-06-30T08:59:60.5+09:00',
        undefined,
        "second 60 is a leap second, which Vigil's clock does not count (POSIX time, as every computer's): write 2027-06-30T08:59:59.999+09:00, or second 00 of the next minute",
      ],
    ];
    for (const [sendAt, timezone, message] of cases) {
      const refused = await api.post('/v1/messages', { url: url('/tz/24'), sendAt, timezone });
      expect(refused.status, sendAt).toBe(422);
      expect(refused.json.errors, sendAt).toEqual([{ path: 'sendAt', message }]);
    }
    // 24:00 past the hour, and 24:30, are no time at all.
    for (const sendAt of ['2027-02-28T24:00:01Z', '2027-02-28T24:30:00Z']) {
      const refused = await api.post('/v1/messages', { url: url('/tz/24'), sendAt });
      expect(refused.json.errors, sendAt).toEqual([
        { path: 'sendAt', message: expect.stringMatching(/^must be an RFC 3339 date-time, e\.g\./) },
      ]);
    }
    // A filter's bound is told the same, and a day the month lacks too.
    const leap = await api.get('/v1/messages?sendAtFrom=2027-06-30T23:59:60Z');
    expect(leap.status).toBe(422);
    expect(leap.json.errors).toEqual([
      { path: 'query.sendAtFrom', message: expect.stringMatching(/^second 60 is a leap second.*23:59:59\.999Z, or/) },
    ]);
    // Two bounds that are no instants are each told so, and not compared as text besides.
    const missing = await api.get(
      `/v1/messages?sendAtFrom=2027-06-30T23:59:60Z&sendAtTo=${encodeURIComponent('2027-02-30T00:00:00+01:00')}`,
    );
    expect(missing.json.errors).toEqual([
      { path: 'query.sendAtFrom', message: expect.stringMatching(/^second 60 is a leap second/) },
      { path: 'query.sendAtTo', message: '2027-02-30 does not exist: February 2027 has 28 days' },
    ]);
  });

  it('a malformed sendAt is one 422 saying so, never a missing offset; a number is told to be a date-time string', async () => {
    const malformed = expect.stringMatching(/^must be an RFC 3339 date-time, e\.g\./);
    for (const sendAt of ['', '2027-01-10T09:00:00+0100', '2027-01-10']) {
      const refused = await api.post('/v1/messages', { url: url('/tz/malformed'), sendAt });
      expect(refused.status, sendAt).toBe(422);
      expect(refused.json.errors, sendAt).toEqual([{ path: 'sendAt', message: malformed }]);
    }
    const asNumber = await api.post('/v1/messages', { url: url('/tz/number'), sendAt: Date.now() + 60_000 });
    expect(asNumber.status).toBe(422);
    expect(asNumber.json.errors).toEqual([
      { path: 'sendAt', message: expect.stringMatching(/^must be an RFC 3339 date-time as a string.*give delay$/) },
    ]);
  });

  it('a sendAt past 365 days ahead is a 422 naming the latest instant, which is taken', async () => {
    const latest = (text: string) => Date.parse(/the latest is (\S+Z)\)$/.exec(text)?.[1] ?? '');
    const asked = Date.now() + 365 * 86_400_000 + 60_000;
    const refused = await api.post('/v1/messages', { url: url('/tz/horizon'), sendAt: new Date(asked).toISOString() });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      { path: 'sendAt', message: expect.stringMatching(/^is more than 365 days ahead \(the latest is \S+Z\)$/) },
    ]);
    const bound = latest(refused.json.errors[0].message);
    expect(asked - bound).toBeGreaterThan(0);
    expect(asked - bound).toBeLessThanOrEqual(60_000);
    // The latest instant named is taken a moment later (the horizon has moved on since).
    const taken = await api.post('/v1/messages', { url: url('/tz/horizon'), sendAt: new Date(bound).toISOString() });
    expect(taken.status).toBe(201);
    expect(await api.delete(`/v1/messages/${taken.json.id}`)).toMatchObject({ status: 200 });
  });

  it('a delay over 365 days is a 422 saying the most in words, not as the schema library writes a bound', async () => {
    const refused = await api.post('/v1/messages', { url: url('/tz/far'), delay: 31_536_001 });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: 'delay', message: 'must be at most 31,536,000 seconds (365 days)' }]);
  });

  it('the past window is judged on the resolved instant, not the wall time read as UTC', async () => {
    // Ten minutes ago in Kolkata (+05:30) read as UTC would be hours ahead: it is in the past.
    const wall = DateTime.now().setZone('Asia/Kolkata').minus({ minutes: 10 }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    const refused = await api.post('/v1/messages', { url: url('/tz/past'), sendAt: wall, timezone: 'Asia/Kolkata' });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      {
        path: 'sendAt',
        message: expect.stringMatching(/^is more than 60 seconds in the past \(.*Z in Asia\/Kolkata; it is now .*Z\)$/),
      },
    ]);
  });
});

describe('PATCH with time zones', () => {
  const schedule = async (body: Record<string, unknown>) => {
    const created = await api.post('/v1/messages', { url: url('/tz/patch'), ...body });
    expect(created.status).toBe(201);
    return created.json as { id: string };
  };

  it("reads a wall time without a zone in the message's own zone, through the overlap rule", async () => {
    const fall = nextTransition('Europe/Berlin', 'fall');
    const { id } = await schedule({ delay: 3600, timezone: 'Europe/Berlin' });
    const patched = await api.patch(`/v1/messages/${id}`, { sendAt: `${fall}T02:30:00` });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      sendAt: `${fall}T00:30:00.000Z`,
      timezone: 'Europe/Berlin',
      localSendAt: `${fall}T02:30:00.000+02:00`,
    });
    expect((await api.get(`/v1/messages/${id}`)).json).toMatchObject({ localSendAt: `${fall}T02:30:00.000+02:00` });
  });

  it('moves a message to the zone a patch names, and keeps the zone when the patch gives an offset', async () => {
    const spring = nextTransition('America/New_York', 'spring');
    const { id } = await schedule({ delay: 3600, timezone: 'Europe/Berlin' });
    const moved = await api.patch(`/v1/messages/${id}`, { sendAt: `${spring}T02:30:00`, timezone: 'America/New_York' });
    expect(moved.json).toMatchObject({
      sendAt: `${spring}T07:30:00.000Z`,
      timezone: 'America/New_York',
      localSendAt: `${spring}T03:30:00.000-04:00`,
    });
    const exact = DateTime.now().plus({ days: 2 }).toUTC();
    const byOffset = await api.patch(`/v1/messages/${id}`, { sendAt: exact.toISO() });
    expect(byOffset.json).toMatchObject({
      sendAt: exact.toISO(),
      timezone: 'America/New_York',
      localSendAt: exact.setZone('America/New_York').toISO(),
    });
  });

  it('refuses a timezone alone, and a wall time on a message without a zone, leaving the message as it was', async () => {
    const { id } = await schedule({ delay: 3600 });
    const before = (await api.get(`/v1/messages/${id}`)).json;
    const alone = await api.patch(`/v1/messages/${id}`, { timezone: 'Europe/Berlin' });
    expect(alone.status).toBe(422);
    expect(alone.json.errors).toEqual([{ path: 'timezone', message: expect.stringMatching(/give sendAt/) }]);
    const naked = await api.patch(`/v1/messages/${id}`, { sendAt: '2027-01-10T09:00:00' });
    expect(naked.status).toBe(422);
    expect(naked.json.errors).toEqual([{ path: 'sendAt', message: expect.stringMatching(/no UTC offset/) }]);
    const unknown = await api.patch(`/v1/messages/${id}`, { sendAt: '2027-01-10T09:00:00', timezone: 'Nowhere/Land' });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors).toEqual([
      { path: 'timezone', message: expect.stringContaining('unknown time zone "Nowhere/Land"') },
    ]);
    expect((await api.get(`/v1/messages/${id}`)).json).toEqual(before);
  });
});

describe('delivery of a zoned message', () => {
  it('arrives at the instant its wall time resolved to: never early, and signed with that sendAt', async () => {
    // Three seconds from now as a wall time in Kolkata (+05:30), to the millisecond.
    const due = DateTime.now().plus({ seconds: 3 }).setZone('Asia/Kolkata');
    const created = await api.post('/v1/messages', {
      url: url('/tz/deliver'),
      sendAt: due.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS"),
      timezone: 'Asia/Kolkata',
      body: { hello: 'kolkata' },
    });
    expect(created.status).toBe(201);
    const resolved = due.toMillis();
    expect(created.json.sendAt).toBe(new Date(resolved).toISOString());
    expect(created.json.localSendAt).toBe(due.toISO());

    const isOurs = (r: { headers: Record<string, unknown> }) => r.headers['webhook-id'] === created.json.id;
    await receiver.waitFor((all) => all.some(isOurs), 15_000);
    const got = receiver.received.find(isOurs)!;
    expect(got.headers['vigil-scheduled-at']).toBe(new Date(resolved).toISOString());
    expect(got.arrivedAt).toBeGreaterThanOrEqual(resolved);
    expect(got.arrivedAt - resolved).toBeLessThan(1_500);
    // The attempt is recorded after the receiver answered: wait for it.
    const until = Date.now() + 10_000;
    let delivered = (await api.get(`/v1/messages/${created.json.id}`)).json;
    while (delivered.status !== 'delivered' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      delivered = (await api.get(`/v1/messages/${created.json.id}`)).json;
    }
    expect(delivered).toMatchObject({ status: 'delivered', timezone: 'Asia/Kolkata', localSendAt: due.toISO() });
  });
});
