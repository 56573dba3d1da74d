import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { messageFromOptions } from './messages';

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

  it('reads --data as JSON when it is JSON, as text otherwise, from a file or stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-data-'));
    await writeFile(join(dir, 'body.json'), '{"invoiceId":"inv_42"}');
    try {
      expect(await messageFromOptions('https://x.test/h', { data: '{"a":1}' }, noStdin)).toMatchObject({
        body: { a: 1 },
      });
      expect(await messageFromOptions('https://x.test/h', { data: 'hello' }, noStdin)).toMatchObject({ body: 'hello' });
      expect(await messageFromOptions('https://x.test/h', { data: `@${dir}/body.json` }, noStdin)).toMatchObject({
        body: { invoiceId: 'inv_42' },
      });
      expect(
        await messageFromOptions('https://x.test/h', { data: '@-' }, Readable.from([Buffer.from('[1,2]')])),
      ).toMatchObject({ body: [1, 2] });
      await expect(messageFromOptions('https://x.test/h', { data: `@${dir}/none.json` }, noStdin)).rejects.toThrow(
        `--data @${dir}/none.json: cannot read ${dir}/none.json (ENOENT)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes headers as name:value, metadata as name=value, retries after the first attempt, and a method', async () => {
    const message = await messageFromOptions(
      'https://x.test/h',
      {
        header: ['x-kind: invoice', 'authorization:Bearer a:b'],
        metadata: ['customer=cus_7'],
        retries: '2',
        method: 'put',
      },
      noStdin,
    );

    expect(message).toMatchObject({
      headers: { 'x-kind': 'invoice', authorization: 'Bearer a:b' },
      metadata: { customer: 'cus_7' },
      retry: { maxAttempts: 3 },
      method: 'PUT',
    });
  });

  it('refuses contradictions and malformed flags before any call (exit 2)', async () => {
    const refusals: Array<[Parameters<typeof messageFromOptions>[1], string]> = [
      [{ in: '10m', at: '2026-12-24T09:00' }, 'give --in or --at, not both'],
      [{ tz: 'Europe/Berlin' }, '--tz goes with --at'],
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
