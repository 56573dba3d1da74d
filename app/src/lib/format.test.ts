import { describe, expect, it } from 'vitest';
import { messageOut } from '../../../test-support/api-answers';
import {
  browserTimeZone,
  isSameZone,
  wallTimeHasPassed,
  attemptOutcome,
  attemptRequestText,
  DEFAULT_TEST_PAYLOAD,
  duration,
  everyDay,
  failureReasonText,
  firstLines,
  isLocalApi,
  localTimeText,
  maskedHeaderValue,
  maskedUrl,
  percentile,
  checkPayload,
  plainData,
  prettyBody,
  sentBodyOf,
  bodyNote,
  quickstartCurl,
  redeliveryStarts,
  relativeTime,
  revokerText,
  targetText,
  utcDayStartIn,
  wallTimeIn,
  wallTimeNow,
  instantOfWallTime,
  webhookCurl,
  webhookCurlHead,
  curlWithBody,
  zonedTime,
} from './format';
import { jsonText } from '@vigil/client';
import { parseExactJson, stringifyExactJson } from '@vigil/core/exact-json';
import { wallTimeToInstant } from '@vigil/core/time-zones';

describe('web app formatting', () => {
  it('says times relative to now', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    expect(relativeTime('2026-11-23T12:00:05.000Z', now)).toBe('in 5 seconds');
    expect(relativeTime('2026-11-23T11:57:00.000Z', now)).toBe('3 minutes ago');
    expect(relativeTime('2026-11-23T12:00:00.400Z', now)).toBe('now');
  });

  it('rounds a relative time to the nearest whole unit and never says "tomorrow"', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    const at = (ms: number) => new Date(now + ms).toISOString();
    const H = 3_600_000;
    // 47 h 59 min ahead is two days away, not "tomorrow" (the case).
    expect(relativeTime(at(47 * H + 59 * 60_000), now)).toBe('in 2 days');
    expect(relativeTime(at(36 * H), now)).toBe('in 2 days');
    expect(relativeTime(at(35 * H), now)).toBe('in 1 day');
    expect(relativeTime(at(-25 * H), now)).toBe('1 day ago');
    expect(relativeTime(at(-47 * H - 59 * 60_000), now)).toBe('2 days ago');
    expect(relativeTime(at(90 * 60_000), now)).toBe('in 2 hours');
    expect(relativeTime(at(89 * 60_000), now)).toBe('in 1 hour');
    expect(relativeTime(at(-90_500), now)).toBe('2 minutes ago');
  });

  it('says a span that rounds up to a whole larger unit in that unit, never "60 minutes ago"', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect(relativeTime(at(-(59 * 60_000 + 40_000)), now)).toBe('1 hour ago');
    expect(relativeTime(at(59_600), now)).toBe('in 1 minute');
    expect(relativeTime(at(-(23 * 3_600_000 + 45 * 60_000)), now)).toBe('1 day ago');
    expect(relativeTime(at(-(29 * 3_600_000 + 59 * 60_000)), now)).toBe('1 day ago');
  });

  it("names the viewer's zone and its offset, to the millisecond, by the zone's rules", () => {
    // The instant: due 01:38:43.747 UTC is the evening before in New York.
    expect(zonedTime('2026-12-02T01:38:43.747Z', 'America/New_York')).toBe(
      '2026-12-01 20:38:43.747 America/New_York (UTC-05:00)',
    );
    expect(zonedTime('2026-12-02T01:38:43.747Z', 'America/New_York', { ms: false })).toBe(
      '2026-12-01 20:38:43 America/New_York (UTC-05:00)',
    );
    expect(zonedTime('2026-07-01T12:00:00.000Z', 'Europe/Berlin')).toBe(
      '2026-07-01 14:00:00.000 Europe/Berlin (UTC+02:00)',
    );
    expect(zonedTime('2026-07-01T12:00:00.000Z', 'Europe/London')).toBe(
      '2026-07-01 13:00:00.000 Europe/London (UTC+01:00)',
    );
    expect(zonedTime('2026-01-01T12:00:00.000Z', 'Africa/Abidjan')).toBe(
      '2026-01-01 12:00:00.000 Africa/Abidjan (UTC+00:00)',
    );
    expect(zonedTime('2026-12-02T01:38:43.747Z', 'UTC')).toBe('2026-12-02 01:38:43.747 UTC');
  });

  it("names the browser's zone by its current name, as the API names a message's, where its ICU reports the old one", () => {
    expect(browserTimeZone('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(browserTimeZone('Europe/Kiev')).toBe('Europe/Kyiv');
    expect(browserTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(browserTimeZone('UTC')).toBe('UTC');
  });

  it("takes a message's zone kept by a link's name (US/Eastern, GMT) as the zone it leads to, and no other", () => {
    expect(isSameZone('US/Eastern', 'America/New_York')).toBe(true);
    expect(isSameZone('GMT', 'UTC')).toBe(true);
    expect(isSameZone('Asia/Kolkata', 'Asia/Calcutta')).toBe(true);
    expect(isSameZone('US/Eastern', 'America/Chicago')).toBe(false);
    expect(isSameZone('Mars/Base', 'Mars/Base')).toBe(true);
    expect(isSameZone('Mars/Base', 'UTC')).toBe(false);
  });

  it('tells apart the two instants of an hour that happens twice, and names a 45-minute offset', () => {
    // Berlin's clocks go back at 03:00 CEST on 2026-10-25: 02:30 happens at 00:30Z and again at 01:30Z.
    expect(zonedTime('2026-10-25T00:30:00.000Z', 'Europe/Berlin')).toBe(
      '2026-10-25 02:30:00.000 Europe/Berlin (UTC+02:00)',
    );
    expect(zonedTime('2026-10-25T01:30:00.000Z', 'Europe/Berlin')).toBe(
      '2026-10-25 02:30:00.000 Europe/Berlin (UTC+01:00)',
    );
    expect(localTimeText('2026-11-01T01:30:00.000-05:00', 'America/New_York')).toBe(
      '2026-11-01 01:30:00.000 America/New_York (UTC-05:00)',
    );
    expect(zonedTime('2026-06-01T03:15:00.000Z', 'Asia/Kathmandu')).toBe(
      '2026-06-01 09:00:00.000 Asia/Kathmandu (UTC+05:45)',
    );
  });

  it('keeps the first 20 lines of a long body and counts them all', () => {
    const text = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`).join('\n');
    const { head, total } = firstLines(text);
    expect(total).toBe(45);
    expect(head.split('\n')).toHaveLength(20);
    expect(head.endsWith('line 20')).toBe(true);
    expect(firstLines('one line')).toEqual({ head: 'one line', total: 1, chars: 8, folded: false, cutInLine: false });
  });

  it('keeps the first 4,000 characters of a 256 KiB body on one line, and says it left the rest out', () => {
    const text = `{"data":"${'x'.repeat(256 * 1024)}"}`;
    const { head, total, chars, folded, cutInLine } = firstLines(text);
    expect(head).toBe(text.slice(0, 4000));
    expect({ total, chars, folded, cutInLine }).toEqual({
      total: 1,
      chars: text.length,
      folded: true,
      cutInLine: true,
    });
    // Never half an emoji.
    expect(firstLines(`${'x'.repeat(3999)}😀 and more`).head).toBe('x'.repeat(3999));
  });

  it("writes a curl's head on the server and its body in the browser, together the same command as written at once", () => {
    const message = {
      id: 'msg_1',
      method: 'POST',
      url: 'https://bob:hunter2@example.com/hook?token=abcdefghijkl',
      headers: { 'x-api-token': 'super-secret-token-value' },
    };
    const body = { text: `{"note":"it's","n":12345678901234567890}`, kind: 'json' as const };
    const head = webhookCurlHead({ ...message, bodyKind: 'json' });

    // The head holds what only the server may unmask (masked), and the content type the body is sent with.
    expect(head).not.toMatch(/hunter2|super-secret|abcdefghijkl|--data-raw/);
    expect(head).toContain("-H 'content-type: application/json'");
    expect(curlWithBody(head, body.text)).toBe(webhookCurl({ ...message, body }));
    expect(curlWithBody(head, body.text).endsWith(`  --data-raw '{"note":"it'\\''s","n":12345678901234567890}'`)).toBe(
      true,
    );
    // No body: the head is the command.
    const bodiless = webhookCurlHead(message);
    expect(curlWithBody(bodiless, undefined)).toBe(webhookCurl(message));
  });

  it('writes a curl that sends what Vigil sends, without the signature, quoting for the shell', () => {
    const curl = webhookCurl({
      id: 'msg_1',
      method: 'POST',
      url: 'https://example.com/hook?a=1',
      headers: { 'x-api-token': 'super-secret-token-value', 'x-tenant': "o'brien" },
      body: { text: '{"order":42}', kind: 'json' },
    });
    expect(curl).toBe(
      [
        "curl -X POST 'https://example.com/hook?a=1' \\",
        "  -H 'x-api-token: supe••••••••ue' \\",
        "  -H 'x-tenant: o'\\''brien' \\",
        "  -H 'content-type: application/json' \\",
        "  -H 'webhook-id: msg_1' \\",
        `  --data-raw '{"order":42}'`,
      ].join('\n'),
    );
    expect(curl).not.toContain('webhook-signature');
    expect(webhookCurl({ id: 'msg_2', method: 'GET', url: 'https://example.com/', headers: {} })).toBe(
      "curl -X GET 'https://example.com/' \\\n  -H 'webhook-id: msg_2'",
    );
    expect(
      webhookCurl({
        id: 'msg_3',
        method: 'PUT',
        url: 'https://e.com/',
        headers: {},
        body: { text: 'hi', kind: 'text' },
      }),
    ).toContain("-H 'content-type: text/plain; charset=utf-8'");
  });

  it('marks the attempts that began a redelivery: after a 2xx, a 410, or a round that spent its tries', () => {
    // Delivered on the 2nd try; redelivered; delivered; redelivered to an endpoint that is gone.
    const attempts = [
      { n: 1, statusCode: 500 },
      { n: 2, statusCode: 200 },
      { n: 3, statusCode: 204 },
      { n: 4, statusCode: 410 },
      { n: 5 },
    ];
    expect([...redeliveryStarts(attempts, 3)]).toEqual([3, 4, 5]);
    // Three tries allowed, all failed, then a redeliver.
    const spent = [{ n: 1 }, { n: 2, statusCode: 503 }, { n: 3 }, { n: 4, statusCode: 200 }];
    expect([...redeliveryStarts(spent, 3)]).toEqual([4]);
    // A first delivery retried within its round is not a redelivery.
    expect([...redeliveryStarts([{ n: 1 }, { n: 2 }, { n: 3, statusCode: 200 }], 3)]).toEqual([]);
    // With earlier attempts no longer kept, only a 2xx or 410 shows where a round ended.
    expect([...redeliveryStarts([{ n: 51 }, { n: 52 }, { n: 53, statusCode: 200 }, { n: 54 }], 2, 50)]).toEqual([54]);
  });

  it('marks redeliveries by the round each attempt gives, even after a round that ended without an answer', () => {
    // A refused target ends a round early (no answer to see); the round says so all the same.
    const attempts = [
      { n: 1, round: 0 },
      { n: 2, round: 1 },
      { n: 3, round: 1, statusCode: 200 },
      { n: 4, round: 2, statusCode: 200 },
    ];
    expect([...redeliveryStarts(attempts, 8)]).toEqual([2, 4]);
    // A first delivery that failed before any attempt, then redelivered: its first attempt is a redelivery's.
    expect([...redeliveryStarts([{ n: 1, round: 1, statusCode: 200 }], 8)]).toEqual([1]);
    // Earlier attempts dropped: a round seen changing still counts; the first shown is not guessed at.
    expect([
      ...redeliveryStarts(
        [
          { n: 60, round: 3 },
          { n: 61, round: 4 },
        ],
        8,
        59,
      ),
    ]).toEqual([61]);
  });

  it('copies a curl of the headers an attempt sent, without the signature and client headers', () => {
    const sent = {
      'x-order': '42',
      authorization: 'Bearer tenant-secret-token',
      'content-type': 'application/json',
      'content-length': '11',
      'user-agent': 'Vigil/0.1.0',
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1796115600',
      'webhook-signature': 'v1,K5oZ…',
      'vigil-attempt': '2',
      'vigil-scheduled-at': '2026-12-01T09:00:00.000Z',
      host: 'example.com',
      connection: 'keep-alive',
    };
    const curl = webhookCurl(
      {
        id: 'msg_1',
        method: 'POST',
        url: 'https://example.com/hook',
        headers: {},
        body: { text: '{"order":42}', kind: 'json' },
      },
      sent,
    );
    expect(curl).toBe(
      [
        "curl -X POST 'https://example.com/hook'",
        "  -H 'x-order: 42'",
        "  -H 'authorization: Bear••••••••en'",
        "  -H 'content-type: application/json'",
        "  -H 'user-agent: Vigil/0.1.0'",
        "  -H 'webhook-id: msg_1'",
        "  -H 'vigil-attempt: 2'",
        "  -H 'vigil-scheduled-at: 2026-12-01T09:00:00.000Z'",
        `  --data-raw '{"order":42}'`,
      ].join(' \\\n'),
    );
  });

  it("shows an instant as a wall time in a zone, by the zone's rules, keeping milliseconds", () => {
    // Just after Berlin sprang forward (2026-03-29, 02:00 CET -> 03:00 CEST): 01:30Z is 03:30 there.
    expect(wallTimeIn('abc', 'Europe/Berlin')).toBe('');
    expect(wallTimeIn('2026-03-29T01:30:00.000Z', 'Europe/Berlin')).toBe('2026-03-29T03:30:00');
    expect(wallTimeIn('2026-03-29T00:59:59.999Z', 'Europe/Berlin')).toBe('2026-03-29T01:59:59.999');
    // Both instants of New York's repeated hour (2026-11-01) read 01:30 there.
    expect(wallTimeIn('2026-11-01T05:30:00.000Z', 'America/New_York')).toBe('2026-11-01T01:30:00');
    expect(wallTimeIn('2026-11-01T06:30:00.000Z', 'America/New_York')).toBe('2026-11-01T01:30:00');
    expect(wallTimeIn('2026-12-31T23:00:00.250Z', 'Asia/Kolkata')).toBe('2027-01-01T04:30:00.250');
    expect(wallTimeIn('2026-06-01T00:00:00.000Z', 'UTC')).toBe('2026-06-01T00:00:00');
  });

  it('reads a local send time with its zone and offset', () => {
    expect(localTimeText('2026-03-29T03:30:00.000+02:00', 'Europe/Berlin')).toBe(
      '2026-03-29 03:30:00.000 Europe/Berlin (UTC+02:00)',
    );
  });

  it('masks the password of a URL (sent as Basic authentication), wherever the parser finds it', () => {
    expect(maskedUrl('https://alice:s3cret@example.com/hook?a=1#x')).toBe(
      'https://alice:••••••••@example.com/hook?a=1#x',
    );
    // The parser takes the last @ of the authority: the whole of `s3c@ret` is the password.
    expect(maskedUrl('https://alice:s3c@ret@example.com:8443/')).toBe('https://alice:••••••••@example.com:8443/');
    // A user without a password, no user, or not a URL: as written.
    expect(maskedUrl('https://alice@example.com/')).toBe('https://alice@example.com/');
    expect(maskedUrl('https://example.com/a%20b')).toBe('https://example.com/a%20b');
    expect(maskedUrl('not a url')).toBe('not a url');
    expect(webhookCurl({ id: 'msg_4', method: 'POST', url: 'http://bob:hunter2@127.0.0.1:9000/in', headers: {} })).toBe(
      "curl -X POST 'http://bob:••••••••@127.0.0.1:9000/in' \\\n  -H 'webhook-id: msg_4'",
    );
  });

  it('masks the value of a query parameter named like a credential, and leaves the rest as written', () => {
    expect(maskedUrl('https://example.com/in?token=abcdefghijklmnop&order=42#top')).toBe(
      'https://example.com/in?token=abcd••••••••op&order=42#top',
    );
    expect(maskedUrl('https://example.com/in?api_key=short&sig=s3cr3tvalue&a%20b=c')).toBe(
      'https://example.com/in?api_key=••••••••&sig=s3cr••••••••ue&a%20b=c',
    );
    expect(maskedUrl('https://bob:pw@example.com/in?access_token=0123456789')).toBe(
      'https://bob:••••••••@example.com/in?access_token=0123••••••••89',
    );
    expect(maskedUrl('https://example.com/in?page=2&flag')).toBe('https://example.com/in?page=2&flag');
  });

  it('masks header values that look like credentials, and only those', () => {
    expect(maskedHeaderValue('Authorization', 'Bearer abcdefghijklmnop')).toBe('Bear••••••••op');
    expect(maskedHeaderValue('x-api-key', 'short')).toBe('••••••••');
    expect(maskedHeaderValue('content-type', 'application/json')).toBe('application/json');
  });

  it('indents a JSON body, also JSON held in a string, and leaves other text alone', () => {
    expect(prettyBody('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyBody(' [1, {"a" : "b"}] ')).toEqual({ text: '[\n  1,\n  {\n    "a": "b"\n  }\n]', json: true });
    expect(prettyBody('plain text')).toEqual({ text: 'plain text', json: false });
    expect(prettyBody('{"a":1')).toEqual({ text: '{"a":1', json: false });
  });

  it('shows and replays the body the API answers as sent: names like "1" where they were, escapes, an int64 id as its digits', async () => {
    // As @vigil/client gives a message and its body: the message read into values, the body as text.
    const { Vigil } = await import('@vigil/client');
    const sent = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890,"n":1E2}';
    const message = messageOut({ id: 'msg_5', url: 'https://e.com/' });
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      apiKey: 'k',
      fetch: async (request) =>
        new Response(request.url.endsWith('/body') ? sent : JSON.stringify({ ...message, body: JSON.parse(sent) })),
    });
    const got = await vigil.messages.get('msg_5');
    const body = sentBodyOf(got, await vigil.messages.body('msg_5'));

    expect(body).toEqual({ text: sent, kind: 'json' });
    expect(prettyBody(body!.text).text).toBe(
      '{\n  "b": 1,\n  "1": 2,\n  "name": "caf\\u00e9",\n  "id": 12345678901234567890,\n  "n": 1E2\n}',
    );
    expect(webhookCurl({ ...got, headers: {}, body })).toContain(`--data-raw '${sent}'`);
    expect(sentBodyOf({ body: 'text' }, 'text')).toEqual({ text: 'text', kind: 'text' });
    expect(sentBodyOf({}, undefined)).toBeUndefined();
  });

  it('says how many bytes a body is sent as, and that an indented view adds whitespace only', () => {
    expect(bodyNote('{"a":"é"}', true)).toMatch(/^Sent as 10 bytes\. Indented here for reading .* Copy body copies/);
    expect(bodyNote('x', false)).toBe('Sent as 1 byte, as it is: nothing added or changed for reading.');
  });

  it('hands the browser plain data, an exact number as its digits', () => {
    const body = parseExactJson('{"id":12345678901234567890,"n":1}');
    expect(stringifyExactJson(body)).toBe('{"id":12345678901234567890,"n":1}');
    // React carries plain objects only: an exact number goes to the browser as its digits.
    const message = { id: 'msg_1', body };
    expect(plainData(message)).toEqual({ id: 'msg_1', body: { id: '12345678901234567890', n: 1 } });
    expect(plainData(undefined)).toBeUndefined();
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
  });

  it('writes a duration as people say it, in the largest unit it reaches, without a trailing .0', () => {
    expect(duration(12)).toBe('12 ms');
    expect(duration(1400)).toBe('1.4 s');
    expect(duration(1425)).toBe('1.43 s');
    expect(duration(10_004)).toBe('10 s');
    expect(duration(12_500)).toBe('12.5 s');
    expect(duration(180_000)).toBe('3 min');
    expect(duration(3_570_000)).toBe('59.5 min');
    // An hour (a receiver's Retry-After: 3600) is an hour, not "60.0 min".
    expect(duration(3_600_000)).toBe('1 h');
    expect(duration(5_400_000)).toBe('1.5 h');
    expect(duration(86_400_000)).toBe('1 day');
    expect(duration(3 * 86_400_000)).toBe('3 days');
  });

  it('writes a duration that rounds up to the next unit in that unit', () => {
    expect(duration(999.6)).toBe('1 s');
    expect(duration(59_999)).toBe('1 min');
    expect(duration(3_599_000)).toBe('1 h');
    expect(duration(86_399_000)).toBe('1 day');
    expect(duration(0)).toBe('0 ms');
  });

  it('fills the days the API leaves out with zeros', () => {
    const days = everyDay('2026-11-21', '2026-11-23', [{ date: '2026-11-22', n: 4 }], (date) => ({ date, n: 0 }));
    expect(days).toEqual([
      { date: '2026-11-21', n: 0 },
      { date: '2026-11-22', n: 4 },
      { date: '2026-11-23', n: 0 },
    ]);
  });

  it('writes a quickstart command that targets a local receiver when the API is local', () => {
    expect(isLocalApi('http://127.0.0.1:4000')).toBe(true);
    expect(isLocalApi('https://abc.execute-api.eu-west-1.amazonaws.com/prod')).toBe(false);
    expect(quickstartCurl('http://127.0.0.1:4000', 'vgl_abc')).toContain('"url":"http://127.0.0.1:9000/hook"');
    expect(quickstartCurl('https://api.example.com', 'vgl_abc')).toContain('Authorization: Bearer vgl_abc');
  });

  it("says why a message failed, in words, with Vigil's detail", () => {
    const detail = 'Taken for delivery 5 times without an attempt being recorded; not sent again.';
    expect(failureReasonText({ code: 'poison', detail })).toEqual({
      title: 'Vigil could not deliver this message and stopped trying',
      detail,
    });
    expect(failureReasonText({ code: 'record-failed', detail: 'x' }).title).toMatch(/could not be recorded/);
  });

  it('says where an attempt sent before a change went, and what of its request differs', () => {
    expect(attemptRequestText({ url: 'https://a.example/x', method: 'POST' })).toBeUndefined();
    expect(
      attemptRequestText({ url: 'https://ops:pw@a.example/x', method: 'PUT', differs: ['url', 'method', 'body'] }),
    ).toEqual({
      sentTo: `PUT ${maskedUrl('https://ops:pw@a.example/x')}`,
      note: "Sent before the message was changed: its address, method and body differ from the message's now.",
    });
    // Only the headers changed: it went where the message goes, so no address is repeated.
    expect(attemptRequestText({ url: 'https://a.example/x', method: 'POST', differs: ['headers'] })).toEqual({
      note: "Sent before the message was changed: its headers differ from the message's now.",
    });
    // An address Vigil kept only the digest of.
    expect(attemptRequestText({ method: 'POST', differs: ['url'] })?.sentTo).toBe(
      'POST an address Vigil no longer keeps (the message was changed many times since)',
    );
  });

  it('says how an attempt ended in a few words', () => {
    expect(attemptOutcome({ statusCode: 503 })).toBe('HTTP 503');
    expect(attemptOutcome({ error: 'timeout after 10000 ms' })).toBe('timed out after 10 s');
    expect(attemptOutcome({ error: 'connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)' })).toBe('connection refused');
    expect(attemptOutcome({ error: 'socket hang up (ECONNRESET)' })).toBe('connection reset');
    expect(attemptOutcome({ error: 'getaddrinfo ENOTFOUND nowhere.invalid' })).toBe('host not found');
    expect(attemptOutcome({ error: 'unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)' })).toBe(
      'secure connection (TLS) failed',
    );
    expect(attemptOutcome({})).toBe('no answer');
    // The kind the API gives wins over the text, which is only read for attempts recorded before it.
    expect(attemptOutcome({ errorKind: 'connection-refused', error: 'something else entirely' })).toBe(
      'connection refused',
    );
    expect(attemptOutcome({ errorKind: 'timeout', error: 'timeout after 10000 ms', durationMs: 10_004 })).toBe(
      'timed out after 10 s',
    );
    // A temporary failure, which the retry may get past: not "host not found", with the kind or without.
    expect(attemptOutcome({ errorKind: 'dns', error: 'getaddrinfo EAI_AGAIN x' })).toBe(
      'temporary name server failure',
    );
    expect(attemptOutcome({ error: 'getaddrinfo EAI_AGAIN x' })).toBe('temporary name server failure');
    expect(
      attemptOutcome({
        errorKind: 'dns',
        error: 'DNS lookup of x.example: no answer within the 1500 ms timeout (ETIMEOUT)',
      }),
    ).toBe('the name server did not answer');
    expect(attemptOutcome({ errorKind: 'tls' })).toBe('secure connection (TLS) failed');
    expect(attemptOutcome({ statusCode: 302, errorKind: 'redirect' })).toBe('HTTP 302, not followed');
    expect(attemptOutcome({ errorKind: 'other', error: 'odd' })).toBe('odd');
    const odd = `something odd happened ${'x'.repeat(80)}`;
    expect(attemptOutcome({ error: odd })).toHaveLength(60);
    expect(attemptOutcome({ error: odd }).endsWith('…')).toBe(true);
  });

  it('keeps a typed payload as its text, to send as typed, or says why it is not JSON', () => {
    const typed = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890}';
    expect(checkPayload(DEFAULT_TEST_PAYLOAD)).toEqual({ ok: true, body: jsonText(DEFAULT_TEST_PAYLOAD) });
    expect(checkPayload(typed)).toEqual({ ok: true, body: jsonText(typed) });
    expect(checkPayload('[1, 2]')).toEqual({ ok: true, body: jsonText('[1, 2]') });
    const broken = checkPayload('{"order": 42');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^The payload is not valid JSON: .+\.$/);
    expect(checkPayload('   ')).toEqual({ ok: false, error: 'Write the payload as JSON (for an empty object: {}).' });
  });

  it('says who revoked a key', () => {
    const keys = [{ id: 'key_A', name: 'ci', prefix: 'vgl_abcdefgh' }];
    expect(revokerText({ id: 'key_B', revokedBy: 'session' }, keys)).toBe('from the web console');
    expect(revokerText({ id: 'key_B', revokedBy: 'key_B' }, keys)).toBe('by itself (with its own secret)');
    expect(revokerText({ id: 'key_B', revokedBy: 'key_A' }, keys)).toBe('with the key “ci” (vgl_abcdefgh…)');
    expect(revokerText({ id: 'key_B', revokedBy: 'key_Z' }, keys)).toBe('with a key no longer listed (key_Z)');
    expect(revokerText({ id: 'key_B', revokedBy: 'operator' }, keys)).toBe("by Vigil's operators");
    expect(revokerText({ id: 'key_B', revokedBy: 'unknown' }, keys)).toBe('by someone not recorded');
  });

  it("names a message's target by method, host and path, as written", () => {
    expect(targetText({ method: 'POST', url: 'https://example.com:8443/hooks/order?x=1' })).toBe(
      'POST example.com:8443/hooks/order',
    );
    expect(targetText({ method: 'PUT', url: 'https://user:pass@bücher.example/straße/ä?token=x#y' })).toBe(
      'PUT bücher.example/straße/ä',
    );
  });
});

describe('instantOfWallTime', () => {
  it('reads a datetime-local wall time in a zone, as wallTimeIn writes it', () => {
    expect(instantOfWallTime('2026-12-01T20:38:43.747', 'America/New_York')).toBe('2026-12-02T01:38:43.747Z');
    expect(instantOfWallTime('2026-07-01T09:00', 'Europe/Berlin')).toBe('2026-07-01T07:00:00.000Z');
    expect(instantOfWallTime('2026-12-01T00:00', 'UTC')).toBe('2026-12-01T00:00:00.000Z');
    const iso = '2026-03-29T01:30:00.000Z';
    expect(instantOfWallTime(wallTimeIn(iso, 'Europe/Berlin'), 'Europe/Berlin')).toBe(iso);
  });

  it('resolves a wall time near a clock change as the API does, east and west of UTC: a gap moves forward, an overlap is the earlier instant', () => {
    const cases = [
      ['2027-03-14T02:30', 'America/New_York', '2027-03-14T07:30:00.000Z'], // gap: 03:30 EDT
      ['2027-03-28T02:30', 'Europe/Berlin', '2027-03-28T01:30:00.000Z'], // gap: 03:30 CEST
      ['2027-10-31T02:30', 'Europe/Berlin', '2027-10-31T00:30:00.000Z'], // overlap: 02:30 CEST
      ['2027-11-07T01:30', 'America/New_York', '2027-11-07T05:30:00.000Z'], // overlap: 01:30 EDT
      ['2027-04-04T02:30', 'Australia/Sydney', '2027-04-03T15:30:00.000Z'], // overlap: 02:30 AEDT
      ['2027-04-04T01:45', 'Australia/Lord_Howe', '2027-04-03T14:45:00.000Z'], // a 30-minute overlap
    ] as const;
    for (const [wall, zone, instant] of cases) {
      expect(instantOfWallTime(wall, zone), `${wall} ${zone}`).toBe(instant);
      expect(instantOfWallTime(wall, zone)).toBe(new Date(wallTimeToInstant(wall, zone)!).toISOString());
    }
  });
});

describe('wallTimeHasPassed', () => {
  it('compares the instant a wall time names with now, to the second', () => {
    const now = Date.parse('2026-12-02T01:38:43.747Z');
    expect(wallTimeHasPassed('2026-12-01T20:38:42', 'America/New_York', now)).toBe(true);
    expect(wallTimeHasPassed('2026-12-01T20:38:43', 'America/New_York', now)).toBe(false);
    expect(wallTimeHasPassed('2026-12-01T20:39', 'America/New_York', now)).toBe(false);
  });

  it('in an hour a fall-back repeats, reads a wall time as the API does (the earlier), not in text order', () => {
    // New York, 2026-11-01: 01:10 EST (06:10Z) is now, after 01:40 EDT (05:40Z), which 01:40 names.
    const inSecondPass = Date.parse('2026-11-01T06:10:00Z');
    expect(wallTimeHasPassed('2026-11-01T01:40', 'America/New_York', inSecondPass)).toBe(true);
    expect(wallTimeHasPassed('2026-11-01T02:00', 'America/New_York', inSecondPass)).toBe(false);
    // 01:50 EDT (05:50Z) is now: 01:20 names 01:20 EDT, passed, though 01:20 EST is still to come.
    const inFirstPass = Date.parse('2026-11-01T05:50:00Z');
    expect(wallTimeHasPassed('2026-11-01T01:20', 'America/New_York', inFirstPass)).toBe(true);
    expect(wallTimeHasPassed('2026-11-01T01:55', 'America/New_York', inFirstPass)).toBe(false);
  });
});

describe('wallTimeNow', () => {
  it('is now in a zone to the second, as a date picker takes its bounds', () => {
    const now = Date.parse('2026-12-02T01:38:43.747Z');
    expect(wallTimeNow('America/New_York', now)).toBe('2026-12-01T20:38:43');
    expect(wallTimeNow('UTC', now)).toBe('2026-12-02T01:38:43');
    // A whole second has no fraction to cut.
    expect(wallTimeNow('Asia/Kolkata', Date.parse('2026-12-31T23:00:00.000Z'))).toBe('2027-01-01T04:30:00');
  });
});

describe('utcDayStartIn', () => {
  it('says when a UTC day begins on the clocks of a zone far from UTC, east or west, and nothing where it is midnight', () => {
    expect(utcDayStartIn('2026-12-07', 'Pacific/Kiritimati')).toBe('14:00 in Pacific/Kiritimati');
    expect(utcDayStartIn('2026-12-07', 'Pacific/Pago_Pago')).toBe('13:00 in Pacific/Pago_Pago');
    expect(utcDayStartIn('2026-12-07', 'Asia/Kolkata')).toBe('05:30 in Asia/Kolkata');
    expect(utcDayStartIn('2026-12-07', 'UTC')).toBeUndefined();
    expect(utcDayStartIn('2026-12-07', 'Europe/London')).toBeUndefined();
    expect(utcDayStartIn('2026-07-07', 'Europe/London')).toBe('01:00 in Europe/London');
  });
});
