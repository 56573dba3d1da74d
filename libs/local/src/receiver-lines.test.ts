/** What `npm run receiver` prints for each webhook: its line, and its body as much as a line holds. */
import { describe, expect, it } from 'vitest';
import type { ReceivedWebhook } from './receiver';
import { BODY_SHOWN_CHARS, bodyLine, receivedLines } from './receiver-lines';

const received = (body: string): ReceivedWebhook => ({
  path: '/hook',
  method: 'POST',
  headers: {
    'webhook-id': 'msg_01JDX0000000000000000000AA',
    'vigil-attempt': '1',
    'vigil-scheduled-at': '2026-11-23T21:00:10.123Z',
  },
  body,
  arrivedAt: Date.parse('2026-11-23T21:00:10.129Z'),
  verified: true,
  status: 200,
});

describe('the receiver’s lines', () => {
  it('print the delivery as README shows it, with its whole body when short', () => {
    expect(receivedLines(received('{"hello":"world"}'))).toBe(
      '2026-11-23T21:00:10.129Z  POST /hook  msg_01JDX0000000000000000000AA  attempt 1  6 ms after sendAt  signature verified\n' +
        '  {"hello":"world"}\n',
    );
  });

  it('say a body was cut, and how large it is, rather than end mid-value as if that were all of it', () => {
    // A vigil run alert (about 400 characters) ended at `"endedAt":"2026-12-07T09:22:03.622Z` without a word.
    const body = JSON.stringify({ event: 'completed', outputTail: 'é'.repeat(300) });

    const shown = bodyLine(body);

    expect(shown).toBe(
      `${body.slice(0, BODY_SHOWN_CHARS)}… (${Buffer.byteLength(body).toLocaleString('en-US')} bytes in all)`,
    );
    expect(bodyLine('x'.repeat(BODY_SHOWN_CHARS))).toBe('x'.repeat(BODY_SHOWN_CHARS));
  });

  it('say there is no body, where an empty line was printed', () => {
    expect(receivedLines(received('')).split('\n')[1]).toBe('  (no body)');
  });
});
