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
import { BULK_JOB_RETENTION_MS, BULK_PAGE, BULK_STALL_MS, MAX_BULK_IDS, MAX_RUNNING_JOBS } from '@vigil/core/bulk-jobs';
import {
  EVENT_MAX_ATTEMPTS,
  MAX_NOTIFICATION_ENDPOINTS,
  RECENT_DELIVERIES_LIMIT,
  RECENT_DELIVERY_KEEP_MS,
} from '@vigil/core/event-webhooks';
import { FLOW_LIMITS } from '@vigil/core/flow-control';
import { LABEL_MAX_LENGTH, LIST_SCAN_BUDGET, MAX_LABELS } from '@vigil/core/message-filter';
import {
  DEFAULT_MAX_ATTEMPTS,
  MAX_ATTEMPTS_LIMIT,
  MAX_BODY_NESTING,
  MAX_HEADER_BYTES,
  MAX_HEADERS,
  MAX_MESSAGE_BYTES,
  MAX_METADATA_TAGS,
  MAX_URL_LENGTH,
  MESSAGE_TIMEOUT_DEFAULT_MS,
  MESSAGE_TIMEOUT_MAX_MS,
  MESSAGE_TIMEOUT_MIN_MS,
  METADATA_KEY_MAX_LENGTH,
  METADATA_VALUE_MAX_LENGTH,
} from '@vigil/core/message-limits';
import { DEFAULT_PAGE_LIMIT, MAX_BATCH, MAX_DELAY_S, MAX_PAGE_LIMIT } from '@vigil/core/schemas';
import { MAX_ACTIVE_KEYS } from '@vigil/core/tenancy/tenant';
import { DEFAULT_USAGE_DAYS, MAX_USAGE_RANGE_DAYS } from '@vigil/core/tenancy/usage-report';
import { PAST_TOLERANCE_MS } from '@vigil/core/use-cases/schedule-message';
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
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
  HEAD_ARRIVAL_TIMEOUT_MS,
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
    ['a URL', [`at most ${count(MAX_URL_LENGTH)} characters`]],
    [
      'metadata',
      [
        `at most ${MAX_METADATA_TAGS} tags, keys ≤ ${METADATA_KEY_MAX_LENGTH}, values ≤ ${METADATA_VALUE_MAX_LENGTH} characters`,
      ],
    ],
    ['labels', [`at most ${MAX_LABELS},`, `1 to ${LABEL_MAX_LENGTH} of`]],
    ['a listing page', [`1 to ${MAX_PAGE_LIMIT} items`, `reading at most ${count(LIST_SCAN_BUDGET)} stored messages`]],
    ['a request body', [MiB(MAX_REQUEST_BYTES)]],
    ["a request's JSON values", [count(MAX_REQUEST_VALUES)]],
    [
      "a request's arrival",
      [
        `its head within ${seconds(HEAD_ARRIVAL_TIMEOUT_MS)}, head and body within ${seconds(REQUEST_ARRIVAL_TIMEOUT_MS)}`,
      ],
    ],
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

  it('states the attempts a round makes, and the time one attempt may take', () => {
    expectToSay(prose, `until \`retry.maxAttempts\` (default ${DEFAULT_MAX_ATTEMPTS})`);
    expectToSay(prose, `\`--retries N\` (0 to ${MAX_ATTEMPTS_LIMIT - 1})`);
    expectToSay(
      prose,
      `A message's \`timeoutMs\` (${MESSAGE_TIMEOUT_MIN_MS / 1000}–${seconds(MESSAGE_TIMEOUT_MAX_MS)}, default ${seconds(MESSAGE_TIMEOUT_DEFAULT_MS)})`,
    );
    expectToSay(
      prose,
      `\`timeoutMs\` (${seconds(MESSAGE_TIMEOUT_DEFAULT_MS)} by default, at most ${seconds(MESSAGE_TIMEOUT_MAX_MS)})`,
    );
  });

  it("states an Idempotency-Key's length, wherever it does", () => {
    expectToSay(prose, `**Idempotency-Key** (1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters`);
    expectToSay(prose, `\`--idempotency-key invoice-42-reminder\` (1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII`);
  });

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

describe("README's API routes and their bounds", () => {
  const prose = README.replace(/\s+/g, ' ');

  it('states how far back and ahead a message may be scheduled', () => {
    expectToSay(prose, `(up to ${seconds(PAST_TOLERANCE_MS)} in the past is delivered now;`);
    expectToSay(prose, `at most ${MAX_DELAY_S / 86_400} days ahead: a 422 names the latest instant)`);
  });

  it('states the size of a batch, of a bulk job by ids and of a page, wherever it does', () => {
    expectToSay(prose, `\`{ "messages": [ MessageIn, ... ] }\`, 1 to ${MAX_BATCH} messages`);
    expectToSay(prose, `\`{ "ids": [...] }\` (1 to ${count(MAX_BULK_IDS)})`);
    expectToSay(prose, `\`ids\` (1 to ${count(MAX_BULK_IDS)}, each once)`);
    expectToSay(prose, `\`--limit\` (${DEFAULT_PAGE_LIMIT}, up to ${MAX_PAGE_LIMIT})`);
  });

  it("states a tenant's keys and endpoints at most, and a usage report's days", () => {
    expectToSay(prose, `at most ${MAX_ACTIVE_KEYS} active;`);
    expectToSay(prose, `(at most ${MAX_NOTIFICATION_ENDPOINTS} per tenant, \`409\` beyond)`);
    expectToSay(prose, `default the last ${DEFAULT_USAGE_DAYS}, at most ${MAX_USAGE_RANGE_DAYS};`);
  });

  it("states flow control's bounds", () => {
    expectToSay(
      prose,
      `\`key\` 1–${FLOW_LIMITS.keyMaxLength} characters of letters, digits and \`._:/-\`; ` +
        `\`parallelism\` 1–${FLOW_LIMITS.parallelismMax}; \`ratePerSecond\` 1–${FLOW_LIMITS.ratePerSecondMax};`,
    );
  });

  it("states a bulk job's page, how many run at once, when one is given up and how long it is kept", () => {
    expectToSay(prose, `engine runs a page of ${BULK_PAGE} messages at a time`);
    expectToSay(prose, `at most ${MAX_RUNNING_JOBS} jobs of a tenant run at once`);
    expectToSay(prose, `no progress for ${BULK_STALL_MS / 60_000} minutes is given up`);
    expectToSay(prose, `a finished job can be read for ${BULK_JOB_RETENTION_MS / 86_400_000} days`);
  });

  it("states an event delivery's attempts and what an endpoint lists of its deliveries", () => {
    expectToSay(prose, `backoff up to ${EVENT_MAX_ATTEMPTS} attempts (410 stops it)`);
    expectToSay(
      prose,
      `lists the latest ${RECENT_DELIVERIES_LIMIT} deliveries (kept ${RECENT_DELIVERY_KEEP_MS / 86_400_000} days)`,
    );
  });
});
