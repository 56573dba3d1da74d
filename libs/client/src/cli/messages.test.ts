import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { messageOut } from '../../../../test-support/api-answers';
import { jsonText } from '../json-text';
import { Vigil } from '../vigil';
import type { Api, Attempt, AttemptList, Message, MessagePage } from './api';
import {
  listMessages,
  MAX_LIST_REQUESTS,
  messageFromOptions,
  printList,
  printShow,
  printSummary,
  summarize,
} from './messages';
import type { Output } from './output';
import { createOutput } from './output';

const noStdin = Readable.from([]);

describe('vigil send: the message asked for', () => {
  it('is due at once unless told otherwise', async () => {
    expect(await messageFromOptions('https://x.test/h', {}, noStdin)).toEqual({ url: 'https://x.test/h', delay: 0 });
  });

  it('turns --in into seconds, and --at with --tz into a wall time and its zone', async () => {
    expect(await messageFromOptions('https://x.test/h', { in: '1h30m' }, noStdin)).toMatchObject({ delay: 5400 });
    expect(
      await messageFromOptions('https://x.test/h', { at: '2026-12-24T09:00', tz: 'Europe/Berlin' }, noStdin),
    ).toMatchObject({ sendAt: '2026-12-24T09:00:00', timezone: 'Europe/Berlin' });
  });

  it('reads --data as JSON text when it is JSON, as a string body otherwise, from a file or stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    await writeFile(join(dir, 'body.json'), '{"invoiceId":"inv_42"}');
    const bodyOf = async (data: string, stdin = noStdin) =>
      (await messageFromOptions('https://x.test/h', { data }, stdin)).body;
    try {
      expect(await bodyOf('{"a":1}')).toEqual(jsonText('{"a":1}'));
      expect(await bodyOf('hello')).toBe('hello');
      expect(await bodyOf(`@${dir}/body.json`)).toEqual(jsonText('{"invoiceId":"inv_42"}'));
      expect(await bodyOf('@-', Readable.from([Buffer.from('[1,2]')]))).toEqual(jsonText('[1,2]'));
      await expect(bodyOf(`@${dir}/none.json`)).rejects.toThrow(
        `--data @${dir}/none.json: cannot read ${dir}/none.json (ENOENT)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses --data that looks like JSON but is not (exit 2), naming the error, unless a content-type says it is text', async () => {
    // A JSON body with a typo was sent as a text/plain body the receiver could not parse, without a word.
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    await writeFile(join(dir, 'body.json'), '{"invoiceId": "inv_42",}\n');
    const send = (data: string, header?: string[]) =>
      messageFromOptions('https://x.test/h', { data, ...(header && { header }) }, noStdin);
    try {
      await expect(send('{"a":1,}')).rejects.toMatchObject({
        code: 2,
        message: expect.stringMatching(/^--data <inline>: looks like JSON but is not valid JSON: .*position 7/),
        hint: 'fix the JSON; to send this text as it is, add --header content-type:text/plain',
      });
      await expect(send(' [1, 2')).rejects.toMatchObject({
        code: 2,
        message: expect.stringContaining('looks like JSON'),
      });
      await expect(send(`@${dir}/body.json`)).rejects.toMatchObject({
        code: 2,
        message: expect.stringContaining(`--data @${dir}/body.json: looks like JSON but is not valid JSON`),
      });
      // Said to be text: sent as it is, as is text that does not start as JSON does.
      expect((await send('{"a":1,}', ['content-type:text/plain'])).body).toBe('{"a":1,}');
      expect((await send('hello {"a":1,}')).body).toBe('hello {"a":1,}');
      // A JSON content type does not make it text.
      await expect(send('{"a":1,}', ['Content-Type:application/json'])).rejects.toMatchObject({ code: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends --data to the API as typed: "b" before "1", an escape and a 20-digit id as written', async () => {
    // Prepare: the SDK the CLI calls, over a fetch that keeps the request's body.
    const typed = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890}';
    const requests: string[] = [];
    const api = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        requests.push(await request.text());
        return Response.json(messageOut(), { status: 202 });
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    await writeFile(join(dir, 'body.json'), `${typed}\n`);

    try {
      // Act: inline, from a file and from stdin.
      for (const [data, stdin] of [
        [typed, noStdin],
        [`@${dir}/body.json`, noStdin],
        ['@-', Readable.from([Buffer.from(typed)])],
      ] as const) {
        const { idempotencyKey: _key, ...message } = await messageFromOptions('https://x.test/h', { data }, stdin);
        await api.messages.create(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Assess
    expect(requests).toEqual([
      `{"url":"https://x.test/h","body":${typed},"delay":0}`,
      `{"url":"https://x.test/h","body":${typed}\n,"delay":0}`,
      `{"url":"https://x.test/h","body":${typed},"delay":0}`,
    ]);
  });

  it('takes headers as name:value, metadata as name=value, labels, retries after the first attempt, and a method', async () => {
    const message = await messageFromOptions(
      'https://x.test/h',
      {
        header: ['x-kind: invoice', 'authorization:Bearer a:b'],
        metadata: ['customer=cus_7'],
        label: ['billing', 'eu'],
        retries: '2',
        method: 'put',
      },
      noStdin,
    );

    expect(message).toMatchObject({
      headers: { 'x-kind': 'invoice', authorization: 'Bearer a:b' },
      metadata: { customer: 'cus_7' },
      labels: ['billing', 'eu'],
      retry: { maxAttempts: 3 },
      method: 'PUT',
    });
  });

  it('refuses contradictions and malformed flags before any call (exit 2)', async () => {
    const refusals: Array<[Parameters<typeof messageFromOptions>[1], string]> = [
      [{ in: '10m', at: '2026-12-24T09:00' }, 'give --in or --at, not both'],
      [{ tz: 'Europe/Berlin' }, '--tz goes with --at'],
      [{ tz: 'Mars/Base' }, '--tz "Mars/Base" is not a time zone'],
      [{ in: '400d' }, '--in 400d is too far ahead'],
      [{ at: '2026-12-24T09:00Z', tz: 'Europe/Berlin' }, 'already has an offset'],
      [{ header: ['no-colon'] }, '--header "no-colon" is not name:value'],
      [{ metadata: ['x'] }, '--metadata "x" is not name=value'],
      [{ retries: '20' }, '--retries 20: give a whole number from 0 to 19'],
      [{ method: 'GET' }, '--method GET: give POST, PUT or PATCH'],
    ];
    for (const [options, message] of refusals) {
      await expect(messageFromOptions('https://x.test/h', options, noStdin)).rejects.toMatchObject({
        code: 2,
        message: expect.stringContaining(message),
      });
    }
  });
});

/**
 * An API whose listing pages through `count` messages (m0 newest) as the real one does: `n:i` and
 * `p:i` cursors, and a previous page that reaches the newest answered as the whole first page.
 */
const pagedApi = (count: number) => {
  const ids = Array.from({ length: count }, (_, i) => `m${i}`);
  const requests: Array<{ limit?: number; cursor?: string }> = [];
  const page = (from: number, limit: number): MessagePage => ({
    items: ids.slice(from, from + limit).map((id) => ({ id }) as Message),
    nextCursor: from + limit < count ? `n:${from + limit}` : null,
    previousCursor: from > 0 ? `p:${from}` : null,
  });
  const api = {
    messages: {
      listPage: async (query: { limit?: number; cursor?: string }) => {
        requests.push({ limit: query.limit, ...(query.cursor && { cursor: query.cursor }) });
        const limit = query.limit ?? 20;
        const [direction, at] = (query.cursor ?? 'n:0').split(':') as ['n' | 'p', string];
        if (direction === 'n') return page(Number(at), limit);
        const from = Number(at) - limit;
        return from <= 0 ? page(0, limit) : page(from, limit);
      },
    },
  } as unknown as Api;
  return { api, requests };
};

describe('vigil ls: pages of the API', () => {
  it('reads on down in pages of at most 100 until it has the limit, with the cursors of both ends', async () => {
    const { api, requests } = pagedApi(300);

    const list = await listMessages(api, {}, 250);

    expect(requests).toEqual([{ limit: 100 }, { limit: 100, cursor: 'n:100' }, { limit: 50, cursor: 'n:200' }]);
    expect(list.items.map((m) => m.id)).toEqual(Array.from({ length: 250 }, (_, i) => `m${i}`));
    expect(list).toMatchObject({ nextCursor: 'n:250', stopped: false });
    expect(list).not.toHaveProperty('previousCursor');
  });

  it('reads on up from a previous cursor, newest first, without repeating what the first page holds', async () => {
    const { api } = pagedApi(300);

    const list = await listMessages(api, {}, 150, { start: { cursor: 'p:130', upwards: true } });

    // Up from m130: m30..m129, then the first page (m0..m49), of which m0..m29 are new.
    expect(list.items.map((m) => m.id)).toEqual(Array.from({ length: 130 }, (_, i) => `m${i}`));
    expect(list).toMatchObject({ nextCursor: 'n:130', stopped: false });
    expect(list).not.toHaveProperty('previousCursor');
  });

  it(`stops after ${MAX_LIST_REQUESTS} requests when pages come back empty (a filter few messages match)`, async () => {
    let calls = 0;
    const api = {
      messages: {
        listPage: async () => {
          calls += 1;
          return { items: [], nextCursor: `n:${calls}`, previousCursor: null };
        },
      },
    } as unknown as Api;

    const list = await listMessages(api, { label: 'rare' }, 20);

    expect(calls).toBe(MAX_LIST_REQUESTS);
    expect(list).toEqual({ items: [], nextCursor: `n:${MAX_LIST_REQUESTS}`, stopped: true });
  });
});

describe('vigil ls: the table', () => {
  const now = Date.parse('2026-12-01T08:01:00.000Z');
  const listed = (messages: Array<Partial<Message>>, terminal: { columns: number } | undefined) => {
    const lines: string[] = [];
    const output = createOutput(
      {
        stdout: { write: (text: string) => lines.push(text), ...(terminal && { isTTY: true, ...terminal }) },
        stderr: { write: () => true },
      },
      { NO_COLOR: '1' },
      false,
    );
    const base = {
      status: 'retrying',
      url: 'https://x.test/h',
      method: 'POST',
      sendAt: '2026-12-01T08:00:00.000Z',
      createdAt: '2026-12-01T08:00:00.000Z',
      updatedAt: '2026-12-01T08:00:00.000Z',
      attempts: 1,
      maxAttempts: 3,
      timeoutMs: 10_000,
      headers: {},
      metadata: {},
      labels: [],
    };
    const attempt = { n: 1, startedAt: '2026-12-01T08:00:00.000Z', durationMs: 5, latenessMs: 1, round: 0 };
    printList(
      output,
      messages.map(
        (m, i) => ({ ...base, id: `msg_01JDX0000000000000000000A${i}`, lastAttempt: attempt, ...m }) as Message,
      ),
      now,
    );
    return lines.join('').split('\n');
  };

  it('says when a retrying message tries next beside what its last attempt did: in how long on a terminal, the time when piped', () => {
    const retrying = {
      lastAttempt: { n: 1, startedAt: '2026-12-01T08:00:00.000Z', durationMs: 5, latenessMs: 1, statusCode: 500 },
      nextAttemptAt: '2026-12-01T08:01:42.000Z',
    };
    const overdue = { ...retrying, nextAttemptAt: '2026-12-01T08:00:59.000Z' };

    const terminal = listed([retrying, overdue], { columns: 200 });
    const piped = listed([retrying], undefined);

    expect(terminal[1]).toMatch(/ {2}HTTP 500, next try in 42s {2}https:\/\/x\.test\/h$/);
    expect(terminal[2]).toMatch(/ {2}HTTP 500, next try now {2}/);
    expect(piped[1]).toMatch(/ {2}HTTP 500, next try 2026-12-01 08:01:42Z {2}https:\/\/x\.test\/h$/);
  });

  it("says no next try for a message that is not retrying, and keeps the URL within a terminal's width", () => {
    const delivered: Partial<Message> = {
      status: 'delivered',
      lastAttempt: { n: 1, startedAt: '2026-12-01T08:00:00.000Z', durationMs: 5, latenessMs: 1, statusCode: 200 },
      nextAttemptAt: '2026-12-01T08:01:42.000Z', // not the message's: a delivered one has none
      url: `https://x.test/${'a'.repeat(200)}`,
    };
    const retrying: Partial<Message> = {
      ...delivered,
      status: 'retrying',
      lastAttempt: { ...delivered.lastAttempt!, statusCode: 503 },
    };

    const lines = listed([delivered, retrying], { columns: 140 });

    expect(lines[1]).toMatch(/ {2}HTTP 200 {2,}https:\/\/x\.test\/a+…$/);
    expect(lines.every((line) => line.length <= 140)).toBe(true);
  });
});

describe('vigil send --data: bytes that are not UTF-8', () => {
  it('are refused (exit 2) naming the flag, from a file and from stdin, not sent as U+FFFD', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    const binary = Buffer.from([0xa6, 0x59, 0xfc, 0x1c]);
    await writeFile(join(dir, 'small.bin'), binary);
    try {
      await expect(
        messageFromOptions('https://x.test/h', { data: `@${dir}/small.bin` }, noStdin),
      ).rejects.toMatchObject({ code: 2, message: `--data @${dir}/small.bin: the body is not UTF-8 text` });
      await expect(
        messageFromOptions('https://x.test/h', { data: '@-' }, Readable.from([binary])),
      ).rejects.toMatchObject({ code: 2, message: '--data @-: the body is not UTF-8 text' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('vigil send --data: nothing to read', () => {
  it('refuses an empty stdin or file (exit 2), which would send a webhook without a body, and sends --data ""', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    await writeFile(join(dir, 'empty.json'), '');
    try {
      await expect(messageFromOptions('https://x.test/h', { data: '@-' }, Readable.from([]))).rejects.toMatchObject({
        code: 2,
        message: '--data @-: stdin gave nothing (closed, or nothing piped), so there is no body to send',
        hint: "send an empty body with --data '', or none by leaving --data out",
      });
      await expect(
        messageFromOptions('https://x.test/h', { data: `@${dir}/empty.json` }, noStdin),
      ).rejects.toMatchObject({
        code: 2,
        message: `--data @${dir}/empty.json: ${dir}/empty.json is empty, so there is no body to send`,
      });
      expect(await messageFromOptions('https://x.test/h', { data: '' }, noStdin)).toMatchObject({ body: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('vigil send --data: a body larger than a message holds', () => {
  /** An endless `yes |` on stdin that counts the bytes read from it. */
  const endless = () => {
    const read = { bytes: 0 };
    const chunk = Buffer.from('y\n'.repeat(32 * 1024));
    const stream = Readable.from(
      (function* () {
        for (;;) {
          read.bytes += chunk.length;
          yield chunk;
        }
      })(),
    );
    return { stream, read };
  };

  it('refuses an endless stdin (exit 2, naming the 256 KiB a message holds) after reading at most 6 MiB of it', async () => {
    const { stream, read } = endless();

    await expect(messageFromOptions('https://x.test/h', { data: '@-' }, stream)).rejects.toMatchObject({
      code: 2,
      message:
        '--data @-: the body is more than 6 MiB (6,291,456 bytes), over the 256 KiB (262,144 bytes) a message holds',
    });
    expect(read.bytes).toBeLessThanOrEqual(6 * 1024 * 1024 + 2 * 64 * 1024);
  });

  it('refuses a file past the limit, /dev/zero included, and takes a pretty JSON file whose body as sent fits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    // 300 KiB of text; and 300 KiB of JSON of which 200 KiB is indentation (the API drops it: 100 KiB sent).
    await writeFile(join(dir, 'big.txt'), 'a'.repeat(300 * 1024));
    const item = `\n${' '.repeat(198)}1,`;
    await writeFile(join(dir, 'pretty.json'), `[${item.repeat(1536)}1]`);
    try {
      await expect(messageFromOptions('https://x.test/h', { data: `@${dir}/big.txt` }, noStdin)).rejects.toMatchObject({
        code: 2,
        message: `--data @${dir}/big.txt: the body is 307,200 bytes, over the 256 KiB (262,144 bytes) a message holds`,
      });
      await expect(messageFromOptions('https://x.test/h', { data: '@/dev/zero' }, noStdin)).rejects.toMatchObject({
        code: 2,
        message:
          '--data @/dev/zero: the body is more than 6 MiB (6,291,456 bytes), over the 256 KiB (262,144 bytes) a message holds',
      });
      const { body } = await messageFromOptions('https://x.test/h', { data: `@${dir}/pretty.json` }, noStdin);
      expect((body as { text: string }).text.length).toBeGreaterThan(300 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts a body as the API does: a JSON body without its whitespace, a text body in UTF-8 bytes', async () => {
    const fits = (text: string) =>
      messageFromOptions('https://x.test/h', { data: '@-' }, Readable.from([Buffer.from(text)]));
    // 262,144 bytes of JSON once its spaces go (a string's own spaces count), and one byte more.
    const json = (n: number) => `[ "${' '.repeat(n - 4)}" ]`;
    await expect(fits(json(262_144))).resolves.toBeDefined();
    await expect(fits(json(262_145))).rejects.toMatchObject({ code: 2 });
    // é is two bytes: 131,072 of them are the limit.
    await expect(fits('é'.repeat(131_072))).resolves.toBeDefined();
    await expect(fits('é'.repeat(131_073))).rejects.toMatchObject({
      message: '--data @-: the body is 262,146 bytes, over the 256 KiB (262,144 bytes) a message holds',
    });
  });
});

describe('vigil show', () => {
  const shown = (message: Partial<Message>, items: Array<Partial<Attempt>>, body?: string, now = 0) => {
    const lines: string[] = [];
    const output = createOutput(
      { stdout: { write: (text: string) => lines.push(text) }, stderr: { write: () => true } },
      { NO_COLOR: '1' },
      false,
    );
    const base = {
      id: 'msg_01JDX0000000000000000000AA',
      status: 'failed',
      url: 'https://x.test/h',
      method: 'POST',
      sendAt: '2026-12-01T08:00:00.000Z',
      createdAt: '2026-12-01T08:00:00.000Z',
      updatedAt: '2026-12-01T08:01:00.000Z',
      attempts: items.length,
      maxAttempts: 2,
      timeoutMs: 10_000,
      headers: {},
      metadata: {},
      labels: [],
    };
    const attempts = items.map((attempt, i) => ({
      n: i + 1,
      startedAt: `2026-12-01T08:00:0${i}.000Z`,
      durationMs: 5,
      latenessMs: 1,
      round: 0,
      ...attempt,
    }));
    printShow(output, { ...base, ...message } as Message, { items: attempts, omitted: 0 } as AttemptList, now, body);
    return lines.join('');
  };

  it('says why a message failed when its attempts do: a 410, or all of them spent', () => {
    expect(shown({}, [{ statusCode: 410 }])).toMatch(
      / {2}failed: the endpoint answered 410 Gone, which stops the retries\n/,
    );
    expect(shown({}, [{ statusCode: 503 }, { statusCode: 503 }])).toMatch(/ {2}failed: all 2 attempts failed\n/);
  });

  it('marks a redelivery, and says when its attempts are spent', () => {
    const text = shown({ attempts: 4 }, [
      { statusCode: 503 },
      { statusCode: 503 },
      { statusCode: 503, round: 1 },
      { statusCode: 503, round: 1 },
    ]);

    expect(text).toMatch(/Z {2}attempt 2 .*\n.*Z {2}redelivered\n.*Z {2}attempt 3 /);
    expect(text).toMatch(/ {2}failed: all 2 attempts of the redelivery failed\n/);
  });

  it('shows the body as it is sent, "b" before "1", not the message\'s body read into values', () => {
    const sent = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890}';
    const read = { 1: 2, b: 1, name: 'café' }; // the same body as JavaScript holds it

    expect(shown({ body: read }, [{ statusCode: 410 }], sent)).toContain(`\n  body     ${sent}\n`);
  });

  it('says where an attempt sent before the message was changed went, and what of it differs', () => {
    const text = shown({ status: 'delivered', url: 'https://new.test/h', deliveredAt: '2026-12-01T08:00:01.005Z' }, [
      { statusCode: 500, url: 'https://old.test/h', method: 'POST', differs: ['url', 'body'] },
      { statusCode: 500, url: 'https://new.test/h', method: 'PUT', differs: ['method', 'headers'] },
      { statusCode: 500, url: 'https://new.test/h', method: 'POST', differs: ['body'] },
      { statusCode: 200, url: 'https://new.test/h', method: 'POST' },
    ]);

    expect(text).toMatch(
      /attempt 1 .* late {2}sent to POST https:\/\/old\.test\/h before a change of its url and body\n/,
    );
    expect(text).toMatch(
      /attempt 2 .* late {2}sent to PUT https:\/\/new\.test\/h before a change of its method and headers\n/,
    );
    expect(text).toMatch(/attempt 3 .* late {2}sent before a change of its body\n/);
    expect(text).toMatch(/attempt 4 .* late\n/);
  });

  it('says why an attempt went out late when Vigil knows, and names a reason it has no words for as the API does', () => {
    const text = shown({ status: 'delivered', deliveredAt: '2026-12-01T08:01:01.005Z' }, [
      { statusCode: 500, latenessMs: 61_000, latenessReason: 'recovered' },
      { statusCode: 500, latenessMs: 20_000, latenessReason: 'timer-missed' },
      { statusCode: 500, latenessMs: 4_000, latenessReason: 'engine-busy' },
      { statusCode: 500, latenessMs: 3_000, latenessReason: 'flow-control' },
      { statusCode: 500, latenessMs: 9, latenessReason: 'a-newer-reason' as Attempt['latenessReason'] },
      { statusCode: 500, latenessMs: 2_000, latenessReason: 'receiver-busy' },
      { statusCode: 200, latenessMs: 2 },
    ]);

    expect(text).toMatch(/attempt 1 {2}HTTP 500 {2}5 ms, 61000 ms late \(recovered by the sweep\)\n/);
    expect(text).toMatch(/attempt 2 .* 20000 ms late \(its timer missed, sent by the sweep\)\n/);
    expect(text).toMatch(/attempt 3 .* 4000 ms late \(the engine was too busy\)\n/);
    expect(text).toMatch(/attempt 4 .* 3000 ms late \(held back by flow control\)\n/);
    expect(text).toMatch(/attempt 5 .* 9 ms late \(a-newer-reason\)\n/);
    expect(text).toMatch(/attempt 6 .* 2000 ms late \(every connection to the receiver was in use\)\n/);
    expect(text).toMatch(/attempt 7 {2}HTTP 200 {2}5 ms, 2 ms late\n/);
  });

  it('says when a retrying message tries next, in time from now as its send at is', () => {
    const text = shown(
      { status: 'retrying', nextAttemptAt: '2026-12-01T08:03:00.000Z' },
      [{ statusCode: 503 }],
      undefined,
      Date.parse('2026-12-01T08:01:00.000Z'),
    );

    expect(text).toMatch(/08:03:00Z {2}next attempt \(in 2m\)\n/);
  });

  it('says when a retrying message tries next in its first line too, beside its status, where a person looks first', () => {
    const now = Date.parse('2026-12-01T08:01:00.000Z');
    const retrying = shown(
      { status: 'retrying', nextAttemptAt: '2026-12-01T08:03:00.000Z' },
      [{ statusCode: 503 }],
      undefined,
      now,
    );
    const delivered = shown({ status: 'delivered' }, [{ statusCode: 200 }], undefined, now);

    expect(retrying.split('\n')[0]).toBe(
      'msg_01JDX0000000000000000000AA  retrying, next attempt 2026-12-01 08:03:00Z (in 2m)',
    );
    expect(delivered.split('\n')[0]).toBe('msg_01JDX0000000000000000000AA  delivered');
  });

  it('shows the labels a message was sent with', () => {
    expect(shown({ labels: ['billing', 'eu'] }, [{ statusCode: 410 }])).toMatch(/\n {2}labels {3}billing, eu\n/);
  });
});

describe('vigil ls --summary: what is failing, by endpoint', () => {
  const failing = (url: string, status: string, lastAttempt: Partial<Attempt> | undefined, sendAt: string) =>
    ({
      id: 'msg_01JDX0000000000000000000AA',
      url,
      status,
      sendAt,
      ...(lastAttempt && { lastAttempt: { n: 2, durationMs: 10_000, latenessMs: 0, ...lastAttempt } }),
    }) as Message;
  const orders = 'https://api.test/orders';
  const payments = 'https://api.test/payments';
  const messages = [
    failing(
      payments,
      'retrying',
      { startedAt: '2026-12-01T08:20:00.000Z', errorKind: 'timeout' },
      '2026-12-01T08:00:00.000Z',
    ),
    failing(orders, 'failed', { startedAt: '2026-12-01T08:30:00.000Z', statusCode: 500 }, '2026-12-01T07:10:00.000Z'),
    failing(orders, 'retrying', { startedAt: '2026-12-01T08:40:00.000Z', statusCode: 500 }, '2026-12-01T07:00:00.000Z'),
    failing(orders, 'failed', { startedAt: '2026-12-01T08:35:00.000Z', statusCode: 502 }, '2026-12-01T07:20:00.000Z'),
    failing(orders, 'queued', undefined, '2026-12-01T08:59:00.000Z'),
  ];

  it('counts each URL, largest first, by status and by how its last attempts ended, with since when', () => {
    expect(summarize(messages)).toEqual([
      {
        url: orders,
        count: 4,
        statuses: { failed: 2, retrying: 1, queued: 1 },
        lastAttempts: { 'HTTP 500': 2, 'HTTP 502': 1, 'not attempted': 1 },
        firstSendAt: '2026-12-01T07:00:00.000Z',
        lastAttemptAt: '2026-12-01T08:40:00.000Z',
      },
      {
        url: payments,
        count: 1,
        statuses: { retrying: 1 },
        lastAttempts: { 'timed out after 10s': 1 },
        firstSendAt: '2026-12-01T08:00:00.000Z',
        lastAttemptAt: '2026-12-01T08:20:00.000Z',
      },
    ]);
  });

  it('prints a block a URL, no line wider than its URL and counts, for an 80-column terminal as for a file', () => {
    const lines: string[] = [];
    const output = createOutput(
      { stdout: { write: (text: string) => lines.push(text) }, stderr: { write: () => true } },
      { NO_COLOR: '1' },
      false,
    );
    printSummary(output, summarize(messages), Date.parse('2026-12-01T09:00:00Z'));
    expect(lines.join('')).toBe(
      [
        orders,
        '  messages      4: 2 failed, 1 retrying, 1 queued',
        '  last attempts 2 HTTP 500, 1 HTTP 502, 1 not attempted',
        '  first due     2026-12-01 07:00:00Z (2h ago)',
        '  last attempt  2026-12-01 08:40:00Z (20m ago)',
        '',
        payments,
        '  message       1: 1 retrying',
        '  last attempts 1 timed out after 10s',
        '  first due     2026-12-01 08:00:00Z (1h ago)',
        '  last attempt  2026-12-01 08:20:00Z (40m ago)',
        '',
      ].join('\n'),
    );
  });
});

describe('vigil ls on a terminal of its width', () => {
  const listed = (columns: number, url: string) => {
    const lines: string[] = [];
    const output = createOutput(
      { stdout: { write: (text: string) => lines.push(text), isTTY: true, columns }, stderr: { write: () => true } },
      { NO_COLOR: '1' },
      false,
    );
    const message = {
      id: 'msg_01JDX0000000000000000000AA',
      status: 'failed',
      url,
      sendAt: '2026-12-01T08:00:00.000Z',
      attempts: 2,
      maxAttempts: 2,
      lastAttempt: { n: 2, startedAt: '2026-12-01T08:00:30.000Z', statusCode: 500, durationMs: 3, latenessMs: 0 },
    } as Message;
    printList(output, [message], Date.parse('2026-12-01T09:00:00Z'));
    return lines.join('').split('\n').filter(Boolean);
  };
  const orders = 'https://api.example.com/webhooks/orders';

  it('shows the whole URL at 80 columns, where no cut would make the row fit (not "http://127.0.0.1:97…")', () => {
    const [, row] = listed(80, orders);
    expect(row).toBe(`msg_01JDX0000000000000000000AA  failed  2026-12-01 08:00:00Z  2/2       HTTP 500  ${orders}`);
  });

  it('shows how long ago it was due where the row fits, and cuts a long URL to the room left', () => {
    const [, wide] = listed(200, orders);
    expect(wide).toBe(
      `msg_01JDX0000000000000000000AA  failed  2026-12-01 08:00:00Z 1h ago  2/2       HTTP 500  ${orders}`,
    );
    const long = `${orders}?${'x'.repeat(200)}`;
    const [, cut] = listed(150, long);
    expect(cut).toHaveLength(150);
    expect(cut).toMatch(/ https:\/\/api\.example\.com\/webhooks\/orders\?x+…$/);
  });
});

describe('vigil ls: a last attempt sent before the message was moved to another URL', () => {
  const oldUrl = 'https://old.test/hook';
  const newUrl = 'https://new.test/hook';
  const message = (id: string, url: string, lastAttempt?: Partial<Attempt>) =>
    ({
      id,
      url,
      method: 'POST',
      status: 'retrying',
      sendAt: '2026-12-01T08:00:00.000Z',
      attempts: 1,
      maxAttempts: 3,
      ...(lastAttempt && {
        lastAttempt: { n: 1, startedAt: '2026-12-01T08:30:00.000Z', durationMs: 5, latenessMs: 0, ...lastAttempt },
      }),
    }) as Message;
  // Two failed at the old URL and were moved to the new one since; one failed at the new one; one to
  // the old URL was never tried.
  const messages = [
    message('msg_01JDX0000000000000000000A1', newUrl, {
      statusCode: 500,
      url: oldUrl,
      method: 'POST',
      differs: ['url'],
    }),
    message('msg_01JDX0000000000000000000A2', newUrl, {
      statusCode: 502,
      url: oldUrl,
      method: 'POST',
      differs: ['url'],
    }),
    message('msg_01JDX0000000000000000000A3', newUrl, {
      statusCode: 503,
      url: newUrl,
      method: 'POST',
      startedAt: '2026-12-01T08:10:00.000Z',
    }),
    message('msg_01JDX0000000000000000000A4', oldUrl),
  ];
  const printed = (print: (output: Output) => void) => {
    const lines: string[] = [];
    print(
      createOutput(
        { stdout: { write: (text: string) => lines.push(text) }, stderr: { write: () => true } },
        { NO_COLOR: '1' },
        false,
      ),
    );
    return lines.join('');
  };

  it('--summary counts them apart, by where they went: the new URL answered one 503, not two 500s', () => {
    const text = printed((output) => printSummary(output, summarize(messages), Date.parse('2026-12-01T09:00:00Z')));

    expect(summarize(messages)[0]).toEqual({
      url: newUrl,
      count: 3,
      statuses: { retrying: 3 },
      lastAttempts: { 'HTTP 503': 1 },
      lastAttemptsElsewhere: { [`POST ${oldUrl}`]: { 'HTTP 500': 1, 'HTTP 502': 1 } },
      firstSendAt: '2026-12-01T08:00:00.000Z',
      lastAttemptAt: '2026-12-01T08:10:00.000Z',
    });
    expect(text).toContain(
      [
        newUrl,
        '  messages      3: 3 retrying',
        '  last attempts 1 HTTP 503',
        `  earlier URL   1 HTTP 500, 1 HTTP 502 at POST ${oldUrl}`,
        '  first due     2026-12-01 08:00:00Z (1h ago)',
        '  last attempt  2026-12-01 08:10:00Z (50m ago)',
      ].join('\n'),
    );
  });

  it("a row's LAST says its attempt went to an earlier URL, not the one the row shows", () => {
    const rows = printed((output) => printList(output, messages.slice(0, 1), Date.parse('2026-12-01T09:00:00Z')));

    expect(rows).toMatch(/ {2}HTTP 500, to an earlier URL {2}https:\/\/new\.test\/hook\n$/);
  });
});
