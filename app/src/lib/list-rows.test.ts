/**
 * The Messages list on a bad day, from the page the API returned: failing targets named by host,
 * and Vigil's own deliveries to one endpoint in one state folded into one row.
 */
import { describe, expect, it } from 'vitest';
import { failingTargets, foldingLeftPageShort, listRows, pageMakeup, targetHost } from './list-rows';
import type { Message } from './types';

let n = 0;
const message = (fields: Partial<Message>): Message =>
  ({
    id: `msg_${String((n += 1)).padStart(26, '0')}`,
    url: 'https://api.example.com/hooks/order',
    method: 'POST',
    status: 'failed',
    attempts: 1,
    labels: [],
    metadata: {},
    headers: {},
    ...fields,
  }) as Message;

const alert = (status: Message['status'], url = 'https://ops.example.com/alerts') =>
  message({
    url,
    status,
    origin: { kind: 'notification', endpointId: 'nep_1', event: 'message.failed' },
  });

describe('a target host', () => {
  it('is the host and port as written, and the URL start that lists the messages to it', () => {
    expect(targetHost('http://127.0.0.1:9710/orders/webhook?x=1')).toEqual({
      host: '127.0.0.1:9710',
      urlPrefix: 'http://127.0.0.1:9710/',
    });
    expect(targetHost('https://bücher.example/straße')).toEqual({
      host: 'bücher.example',
      urlPrefix: 'https://bücher.example/',
    });
  });

  it('leaves out the credentials, and gives no filter that would put them in the address bar', () => {
    expect(targetHost('https://user:secret@api.example.com/hook')).toEqual({ host: 'api.example.com' });
  });
});

describe('the failing targets of a page', () => {
  it('names each host several messages are failing to, most failures first, with what was delivered there', () => {
    const page = [
      ...Array.from({ length: 3 }, () => message({ url: 'http://127.0.0.1:9711/billing', status: 'retrying' })),
      ...Array.from({ length: 5 }, (_, i) => message({ url: `http://127.0.0.1:9710/orders/${i}` })),
      message({ url: 'http://127.0.0.1:9710/orders/ok', status: 'delivered' }),
      message({ url: 'https://fine.example.com/hook', status: 'delivered' }),
      message({ url: 'https://once.example.com/hook' }),
    ];
    expect(failingTargets(page)).toEqual([
      {
        host: '127.0.0.1:9710',
        urlPrefix: 'http://127.0.0.1:9710/',
        failed: 5,
        retrying: 0,
        delivered: 1,
        vigilOnly: false,
      },
      {
        host: '127.0.0.1:9711',
        urlPrefix: 'http://127.0.0.1:9711/',
        failed: 0,
        retrying: 3,
        delivered: 0,
        vigilOnly: false,
      },
    ]);
  });

  it("says when a host's failures are all Vigil's own deliveries (a notification endpoint that is down)", () => {
    expect(failingTargets([alert('retrying'), alert('failed')])).toMatchObject([
      { host: 'ops.example.com', retrying: 1, failed: 1, vigilOnly: true },
    ]);
  });

  it('names none on a page where nothing fails twice to one host', () => {
    expect(failingTargets([message({}), message({ url: 'https://b.example/x' })])).toEqual([]);
  });
});

describe('the rows of a page', () => {
  it("folds Vigil's alerts to one endpoint in one state into one row where the first stood, and keeps yours", () => {
    const mine = message({ status: 'failed' });
    const alerts = Array.from({ length: 20 }, () => alert('retrying'));
    const older = message({ status: 'delivered' });
    const rows = listRows([alerts[0]!, mine, ...alerts.slice(1), older]);
    expect(rows.map((row) => (row.kind === 'message' ? row.message.id : `${row.messages.length} ${row.what}`))).toEqual(
      ['20 alerts', mine.id, older.id],
    );
  });

  it('keeps apart deliveries in different states, to different URLs, and a lone one as a row of its own', () => {
    const rows = listRows([
      alert('retrying'),
      alert('failed'),
      alert('retrying'),
      alert('failed'),
      alert('retrying', 'https://other.example.com/alerts'),
      message({
        status: 'delivered',
        origin: { kind: 'callback', messageId: 'msg_1', round: 0, event: 'failed' },
      }),
    ]);
    expect(
      rows.map((row) => (row.kind === 'message' ? row.message.status : `${row.messages.length} ${row.status}`)),
    ).toEqual(['2 retrying', '2 failed', 'retrying', 'delivered']);
  });
});

describe("a page's makeup", () => {
  it('counts the rows of your own messages and the deliveries of Vigil folded into rows of several', () => {
    const page = [message({}), alert('retrying'), alert('retrying'), alert('retrying'), alert('failed'), message({})];
    expect(pageMakeup(listRows(page))).toEqual({ own: 3, folded: 3, foldedRows: 1 });
  });

  it('is short of your own messages when folding left fewer than half a page of them and more pages follow', () => {
    const page = [
      ...Array.from({ length: 20 }, () => alert('retrying')),
      ...Array.from({ length: 5 }, () => message({})),
    ];
    const makeup = pageMakeup(listRows(page));
    expect(makeup).toEqual({ own: 5, folded: 20, foldedRows: 1 });
    expect(foldingLeftPageShort(makeup, 25, true)).toBe(true);
    // The last page: there are no more of yours to show.
    expect(foldingLeftPageShort(makeup, 25, false)).toBe(false);
    // Nothing folded, or most of the page yours: nothing to say.
    expect(foldingLeftPageShort({ own: 5, folded: 0, foldedRows: 0 }, 25, true)).toBe(false);
    expect(foldingLeftPageShort({ own: 15, folded: 10, foldedRows: 2 }, 25, true)).toBe(false);
  });
});
