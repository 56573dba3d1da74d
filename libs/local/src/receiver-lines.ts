/** What `npm run receiver` prints for a webhook that arrived: a line about it, and its body's start. */
import type { ReceivedWebhook } from './receiver';

/** How much of a body is printed: a line's worth; the rest is counted, not shown. */
export const BODY_SHOWN_CHARS = 200;

/** The body as printed under its line: all of a short one, the start of a long one and its size, or that there is none. */
export const bodyLine = (body: string): string => {
  if (body === '') return '(no body)';
  if (body.length <= BODY_SHOWN_CHARS) return body;
  return `${body.slice(0, BODY_SHOWN_CHARS)}… (${Buffer.byteLength(body, 'utf8').toLocaleString('en-US')} bytes in all)`;
};

/** `2026-11-23T21:00:10.129Z  POST /hook  msg_...  attempt 1  6 ms after sendAt  signature verified`, then the body. */
export const receivedLines = (r: ReceivedWebhook): string => {
  const signature =
    r.verified === undefined
      ? 'signature not checked (pass the whsec_ secret)'
      : r.verified
        ? 'signature verified'
        : 'SIGNATURE INVALID';
  const scheduled = String(r.headers['vigil-scheduled-at'] ?? '');
  const late = scheduled ? `${r.arrivedAt - Date.parse(scheduled)} ms after sendAt` : '';
  return `${new Date(r.arrivedAt).toISOString()}  ${r.method} ${r.path}  ${String(r.headers['webhook-id'] ?? '')}  attempt ${String(r.headers['vigil-attempt'] ?? '?')}  ${late}  ${signature}\n  ${bodyLine(r.body)}\n`;
};
