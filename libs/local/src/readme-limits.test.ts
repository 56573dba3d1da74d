/**
 * README's "Guarantees and limits" states every size, count and time a user is held to; each row
 * here is one of its statements, written from the constant that enforces it, so a limit changed in
 * the code fails here until the README says the new one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ATTEMPT_ERROR_MAX_BYTES,
  ATTEMPT_LOG_BUDGET_BYTES,
  ATTEMPT_LOG_LIMIT,
  RESPONSE_HEADERS_MAX,
  RESPONSE_HEADERS_MAX_BYTES,
  SNIPPET_MAX_BYTES,
} from '@vigil/core/attempt-log';
import { EARLIER_REQUESTS_BUDGET_BYTES } from '@vigil/core/earlier-requests';
import { DEFAULT_BACKOFF } from '@vigil/core/backoff';
import { MAX_REQUEST_VALUES } from '@vigil/core/exact-json';
import { PLANS } from '@vigil/core/plans';
import { LABEL_MAX_LENGTH, LIST_SCAN_BUDGET, MAX_LABELS } from '@vigil/core/message-filter';
import { MAX_BODY_NESTING, MAX_HEADER_BYTES, MAX_HEADERS, MAX_MESSAGE_BYTES } from '@vigil/core/message-limits';
import { MAX_BATCH } from '@vigil/core/schemas';
import {
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_TTL_MS,
  IDEMPOTENCY_WAIT_MS,
} from '@vigil/core/use-cases/idempotent-request';
import { API_TIMEOUT_S } from '@vigil/functions/api/routes';
import { MAX_REQUEST_BYTES } from '@vigil/functions/api/http';
import {
  MAX_BYTES_AFTER_STATUS,
  MAX_BYTES_BEFORE_STATUS,
  MAX_CONNECTIONS_PER_ORIGIN,
  MAX_INFORMATIONAL_RESPONSES,
} from '@vigil/aws/http-sender';
import { describe, expect, it } from 'vitest';
import {
  ADMISSION_WAIT_MS,
  MAX_CONNECTIONS,
  MAX_REQUESTS_IN_FLIGHT,
  REFUSED_CONNECTIONS,
  REQUEST_ARRIVAL_TIMEOUT_MS,
} from './gateway';

const README = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');

/** The README section `heading` (a `## ` one), up to the next. */
const section = (heading: string): string => {
  const start = README.indexOf(`\n## ${heading}\n`);
  return README.slice(start, README.indexOf('\n## ', start + 1));
};

/** The table row of `text` whose first cell starts with `label`. */
const row = (text: string, label: string): string =>
  text.split('\n').find((line) => line.startsWith(`| ${label}`)) ?? `(no row "${label}")`;

/** As README writes a count: 1,024. */
const count = (n: number): string => n.toLocaleString('en-US');
const KiB = (bytes: number): string => `${bytes / 1024} KiB`;
const MiB = (bytes: number): string => `${bytes / 1024 ** 2} MiB`;
const seconds = (ms: number): string => `${ms / 1000} s`;

/** Asserts `text` holds `statement`, naming the statement alone when it does not (not all of `text`). */
const expectToSay = (text: string, statement: string): void => {
  expect(text.includes(statement), `README should say: ${statement}`).toBe(true);
};

describe("README's Guarantees and limits", () => {
  const limits = section('Guarantees and limits');
  /** The section's prose, its line breaks as spaces. */
  const prose = limits.replace(/\s+/g, ' ');

  it.each([
    ['a message: url + body', [`${KiB(MAX_MESSAGE_BYTES)} (${count(MAX_MESSAGE_BYTES)} bytes)`]],
    ['headers', [`at most ${MAX_HEADERS}, together at most ${KiB(MAX_HEADER_BYTES)}`]],
    ['a JSON body', [`nested at most ${MAX_BODY_NESTING} levels`]],
    ['labels', [`at most ${MAX_LABELS},`, `1 to ${LABEL_MAX_LENGTH} of`]],
    ['a listing page', [`reading at most ${count(LIST_SCAN_BUDGET)} stored messages`]],
    ['a request body', [MiB(MAX_REQUEST_BYTES)]],
    ["a request's JSON values", [count(MAX_REQUEST_VALUES)]],
    ["a request's arrival", [`head and body within ${seconds(REQUEST_ARRIVAL_TIMEOUT_MS)}`]],
    ['requests at once', [`${MAX_REQUESTS_IN_FLIGHT} handled at once`, `up to ${seconds(ADMISSION_WAIT_MS)}`]],
    ['connections at once', [count(MAX_CONNECTIONS), `up to ${REFUSED_CONNECTIONS} more`]],
    ['a batch', [`1 to ${MAX_BATCH} messages`]],
  ])('sizes: "%s" states the limit the code enforces', (label, statements) => {
    const line = row(limits, label);

    for (const statement of statements) expect(line).toContain(statement);
  });

  it('a receiver: the sender gives up at the bounds it enforces', () => {
    expectToSay(
      limits,
      `| sends over ${KiB(MAX_BYTES_BEFORE_STATUS)}, or over ${MAX_INFORMATIONAL_RESPONSES} informational`,
    );
    expectToSay(limits, `| sends over ${MiB(MAX_BYTES_AFTER_STATUS)} after its status line`);
    expectToSay(prose, `At most ${MAX_CONNECTIONS_PER_ORIGIN} connections per origin at once`);
  });

  it('attempt history: what each message keeps of its attempts', () => {
    expectToSay(
      prose,
      `Each message keeps its latest ${ATTEMPT_LOG_LIMIT} attempts, within ${KiB(ATTEMPT_LOG_BUDGET_BYTES)}`,
    );
    expectToSay(prose, `its first ${SNIPPET_MAX_BYTES} bytes as they came`);
    expectToSay(prose, `an attempt's \`error\` at most ${ATTEMPT_ERROR_MAX_BYTES} bytes`);
    expectToSay(
      prose,
      `\`responseHeaders\` at most ${RESPONSE_HEADERS_MAX} headers and ${KiB(RESPONSE_HEADERS_MAX_BYTES)}`,
    );
    expectToSay(prose, `At most ${KiB(EARLIER_REQUESTS_BUDGET_BYTES)} of it is kept`);
  });
});

describe("README's retries and Idempotency-Keys", () => {
  const prose = README.replace(/\s+/g, ' ');

  it('states the backoff step the engine waits by', () => {
    expectToSay(prose, `(step = ${DEFAULT_BACKOFF.baseMs / 1000} s × ${DEFAULT_BACKOFF.factor}^(n−1))`);
    expectToSay(prose, `capped at ${DEFAULT_BACKOFF.capMs / 3_600_000} h (the backoff's maximum)`);
  });

  it('states how long a key is bound, how long a repeat waits, and when a dead request is taken over', () => {
    expectToSay(prose, `bound for ${IDEMPOTENCY_TTL_MS / 3_600_000} h to the route and the request body`);
    expectToSay(prose, `a repeat waits up to ${seconds(IDEMPOTENCY_WAIT_MS)}, then gets \`409\``);
    expectToSay(
      prose,
      `is taken over by a retry after ${seconds(IDEMPOTENCY_LEASE_MS)} (on AWS a request ends after ${API_TIMEOUT_S} s)`,
    );
  });
});

describe("README's plans (libs/core/src/plans.ts)", () => {
  const prose = README.replace(/\s+/g, ' ');
  const { free, pro } = PLANS;

  it("states each plan's rate, burst and monthly messages", () => {
    expectToSay(
      prose,
      `Plans (\`free\`: ${free.ratePerSecond} requests/s, burst ${free.burst}, ${count(free.monthlyMessages)} messages a month; ` +
        `\`pro\`: ${pro.ratePerSecond}/s, burst ${pro.burst}, ${count(pro.monthlyMessages)})`,
    );
  });

  it("states each plan's monthly requests, wherever it does", () => {
    const requests = `${count(free.monthlyRequests)} for \`free\`, ${count(pro.monthlyRequests)} for \`pro\``;

    expect(prose.split(requests).length - 1).toBe(2);
  });

  it('states how long each plan keeps a finished message', () => {
    expectToSay(prose, `**${free.retentionDays} days on \`free\`, ${pro.retentionDays} days on \`pro\`**`);
    expectToSay(prose, `kept ${Math.max(free.retentionDays, pro.retentionDays)} days, the longest any plan keeps one`);
  });
});
