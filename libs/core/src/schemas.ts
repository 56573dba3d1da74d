/**
 * The shapes that cross Vigil's edges, as zod schemas: request bodies and queries, and the
 * payloads of queue messages and timer events. Names follow openapi.yaml (`MessageIn`,
 * `MessagePatch`, ...); schemas.contract.test.ts checks that the two agree.
 */
import { z } from 'zod';
import type { FieldError } from './errors';
import { MAX_FIELD_ERRORS, ValidationError } from './errors';
import { BULK_JOB_STATES, MAX_BULK_IDS } from './bulk-jobs';
import { basicCredentialsOf } from './delivery-request';
import { targetTypeOf } from './delivery-target';
import { MESSAGE_ID_PATTERN } from './ids';
import {
  CALLBACK_EVENTS,
  HTTP_METHODS,
  MESSAGE_STATUSES,
  NOTIFICATION_EVENT_TYPES,
  TICKET_LATENESS_REASONS,
} from './message';
import { FLOW_KEY_PATTERN, FLOW_LIMITS } from './flow-control';
import {
  BODY_TOO_DEEP,
  DEFAULT_MAX_ATTEMPTS,
  headerProblems,
  isWellFormedText,
  MAX_ATTEMPTS_LIMIT,
  MAX_HEADERS,
  MAX_BODY_NESTING,
  MAX_METADATA_TAGS,
  MAX_URL_LENGTH,
  MESSAGE_TIMEOUT_DEFAULT_MS,
  MESSAGE_TIMEOUT_MAX_MS,
  MESSAGE_TIMEOUT_MIN_MS,
  METADATA_KEY_MAX_LENGTH,
  METADATA_VALUE_MAX_LENGTH,
  nestsDeeperThan,
  NOT_WELL_FORMED,
  tooManyHeaders,
} from './message-limits';
import {
  hasUtcOffset,
  isKnownTimeZone,
  MAX_TIME_ZONE_LENGTH,
  notBeforeSubMillisecond,
  zoneAsNamed,
} from './time-zones';
import { USAGE_KINDS } from './usage';
import type { MessageFilter } from './message-filter';
import {
  ID_TEXT_MAX_LENGTH,
  ID_TEXT_PATTERN,
  LABEL_PATTERN,
  LABEL_RULE,
  MAX_LABELS,
  MESSAGE_ORIGIN_KINDS,
  normalizeIdText,
} from './message-filter';

export const MAX_DELAY_S = 365 * 24 * 3600;
export const MAX_BATCH = 100;
/** A listing's page (`limit`): at most this many items, this many when it gives no `limit`. */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;
/** The longest `cursor` a listing takes (one it handed out is far shorter). */
export const MAX_CURSOR_LENGTH = 2048;
/**
 * Job items one page of `GET /v1/jobs` may read, matching its states or not (each holds up to
 * ~35 KB of ids, and one Query answers at most 1 MB), before it answers with what it found and a
 * cursor (DynamoBulkJobStore.listJobs; the messages' listing reads LIST_SCAN_BUDGET).
 */
export const JOB_LIST_SCAN_BUDGET = 200;
/** The longest name an API key may be given, in characters. */
export const API_KEY_NAME_MAX_LENGTH = 100;
/** The longest description a notification endpoint may be given, in characters. */
export const ENDPOINT_DESCRIPTION_MAX_LENGTH = 200;

/** Text Vigil stores: DynamoDB refuses an unpaired surrogate, so it is a 422 here, never a 500. */
const text = () => z.string().refine(isWellFormedText, NOT_WELL_FORMED);

/**
 * A URL is stored as it was written and sent as the WHATWG URL parser reads it, so what the parser
 * would quietly change is refused rather than sent somewhere other than what the message shows: it
 * drops tabs and line breaks and trims spaces and control characters, reads `\` as `/`, takes
 * `http:///x` as host `x`; port 0 is no port a request can reach.
 */
const URL_AS_WRITTEN: ReadonlyArray<[RegExp, string]> = [
  // eslint-disable-next-line no-control-regex
  [/[\u0000-\u0020\u007f]/, 'has a space or control character: percent-encode it (a space is %20)'],
  [/\\/, 'has a backslash: write / between path segments, or percent-encode it as %5C'],
  [/^[a-z][a-z0-9+.-]*:(?!\/\/[^/?#])/i, 'must name its host right after the scheme, as in https://example.com/hook'],
];

const httpUrl = text()
  .max(MAX_URL_LENGTH)
  .superRefine((value, ctx) => {
    for (const [pattern, message] of URL_AS_WRITTEN)
      if (pattern.test(value)) ctx.addIssue({ code: 'custom', message, continue: false });
  })
  .refine((value) => {
    try {
      // A scheme no delivery target takes is refused here (delivery-target.ts names them).
      return targetTypeOf(value) !== undefined && new URL(value).hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute http or https URL')
  .refine((value) => !URL.canParse(value) || new URL(value).port !== '0', 'has port 0, which no request can reach')
  .refine((value) => {
    // Its user and password are sent as Basic authentication, percent-decoded first: a `%` not
    // followed by two hex digits there could never be sent (Node refuses the request).
    const { username, password } = URL.canParse(value) ? new URL(value) : { username: '', password: '' };
    return basicCredentialsOf(username, password) !== undefined;
  }, 'has a user or password that is not valid percent-encoding (write % as %25)');

/**
 * A JSON object with names the tenant chooses (headers, metadata), at most `max` of them. `__proto__`
 * is refused by name: JSON can carry it, but a JavaScript object cannot hold it as an entry, so it
 * would be dropped without a word. More than `max` is the one problem told: the entries are then
 * not checked one by one (a 6 MiB body holds half a million of them).
 */
const namedEntries = <T extends z.ZodType>(record: T, max: number, tooMany: (count: number) => string) =>
  z.preprocess((value, ctx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const count = Object.keys(value).length;
    if (count > max) {
      ctx.addIssue({ code: 'custom', path: [], message: tooMany(count) });
      return {};
    }
    if (Object.hasOwn(value, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: '__proto__ cannot be used as a name here' });
    }
    return value;
  }, record);

/** The header rules of message-limits.ts, each problem at `headers.<name>` (or `headers`). */
const headerRecord = z.record(z.string(), z.string()).superRefine((value, ctx) => {
  for (const { name, message } of headerProblems(value)) {
    ctx.addIssue({ code: 'custom', path: name === undefined ? [] : [name], message });
  }
});

const headers = namedEntries(headerRecord, MAX_HEADERS, tooManyHeaders);

const metadata = namedEntries(
  z.record(text().min(1).max(METADATA_KEY_MAX_LENGTH), text().max(METADATA_VALUE_MAX_LENGTH)),
  MAX_METADATA_TAGS,
  () => `at most ${MAX_METADATA_TAGS} metadata tags`,
);

/** The message's labels, to find it by (message-filter.ts): distinct, at most MAX_LABELS. */
const label = z.string().regex(LABEL_PATTERN, `must be ${LABEL_RULE}`);
const labels = z
  .array(label)
  .max(MAX_LABELS, `at most ${MAX_LABELS} labels`)
  .refine((list) => new Set(list).size === list.length, 'each label at most once');

/** Any JSON value to MAX_BODY_NESTING levels; a string body is stored and sent as given, so it must be well-formed text. */
const body = z
  .unknown()
  .refine((value) => typeof value !== 'string' || isWellFormedText(value), NOT_WELL_FORMED)
  .refine((value) => !nestsDeeperThan(value, MAX_BODY_NESTING), BODY_TOO_DEEP);

/** Flow control per destination (flow-control.ts): a key and at least one of its limits. */
const flowControl = z
  .strictObject({
    key: z
      .string()
      .max(FLOW_LIMITS.keyMaxLength)
      .regex(FLOW_KEY_PATTERN, `must be letters, digits and . _ : / - only (at most ${FLOW_LIMITS.keyMaxLength})`),
    parallelism: z.int().min(1).max(FLOW_LIMITS.parallelismMax).optional(),
    ratePerSecond: z.int().min(1).max(FLOW_LIMITS.ratePerSecondMax).optional(),
  })
  .refine((value) => value.parallelism !== undefined || value.ratePerSecond !== undefined, {
    message: 'give parallelism, ratePerSecond or both: a flow key without a limit limits nothing',
  });

/**
 * RFC 3339 lets the `T` between date and time and the `Z` of UTC be written lower case (§5.6, as
 * ISO 8601 and ABNF do): read as upper case, which the parser and the rest of Vigil expect.
 */
const upperCaseTAndZ = (value: unknown) =>
  typeof value === 'string' ? value.replace(/^(\d{4}-\d\d-\d\d)t/, '$1T').replace(/z$/, 'Z') : value;

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Why a date-time's date is no day of the calendar (`2026-02-30`: February 2026 has 28 days), or
 * undefined when it is one, or the text is not shaped as a date-time at all.
 */
export const missingDate = (value: unknown): string | undefined => {
  const parts = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})T/i.exec(value) : null;
  if (!parts) return undefined;
  const [, year, month, day] = parts as unknown as [string, string, string, string];
  const date = `${year}-${month}-${day}`;
  const monthIndex = Number(month) - 1;
  if (monthIndex < 0 || monthIndex > 11) return `${date} does not exist: the month is 01 to 12`;
  // Day 0 of the next month is this month's last; setUTCFullYear, since Date.UTC reads a year
  // 0 to 99 as 1900 to 1999, and 0000 is a leap year where 1900 is none.
  const days = new Date(new Date(0).setUTCFullYear(Number(year), monthIndex + 1, 0)).getUTCDate();
  if (Number(day) < 1 || Number(day) > days) {
    return `${date} does not exist: ${MONTH_NAMES[monthIndex]} ${year} has ${days} days`;
  }
  return undefined;
};

const TIME_PARTS = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Why a date-time names a time Vigil cannot place though ISO 8601 or RFC 3339 write it so, and what
 * to write instead; undefined for any other. `24:00` is the end of a day (ISO 8601), second 60 a
 * leap second (RFC 3339), which Vigil's clock, POSIX time as every computer's, does not count.
 */
export const unplaceableTime = (value: unknown): string | undefined => {
  const parts = typeof value === 'string' ? TIME_PARTS.exec(value) : null;
  if (!parts || missingDate(value) !== undefined) return undefined;
  const [, date = '', hour = '', minute = '', second = '00', fraction = '', offset = ''] = parts;
  if (hour === '24' && minute === '00' && second === '00' && !/[1-9]/.test(fraction)) {
    const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return `24:00 is the end of ${date}: write the start of the next day, ${next}T00:00:00${offset}`;
  }
  if (second === '60' && Number(hour) < 24 && Number(minute) < 60) {
    return `second 60 is a leap second, which Vigil's clock does not count (POSIX time, as every computer's): write ${date}T${hour}:${minute}:59.999${offset}, or second 00 of the next minute`;
  }
  return undefined;
};

/**
 * An RFC 3339 date-time, or a wall time without an offset to be read in a `timezone`. A date the
 * calendar lacks is said to be one, not told the shapes a date-time may have; so are 24:00 and a
 * leap second (unplaceableTime).
 */
const sendAt = z.preprocess(
  upperCaseTAndZ,
  z.iso.datetime({
    offset: true,
    local: true,
    error: (issue) =>
      missingDate(issue.input) ??
      unplaceableTime(issue.input) ??
      (typeof issue.input === 'number'
        ? 'must be an RFC 3339 date-time as a string, e.g. "2026-12-01T09:00:00Z", not a number: for seconds from now, give delay'
        : 'must be an RFC 3339 date-time, e.g. 2026-12-01T09:00:00Z, or a wall time with a timezone'),
  }),
);

/** A well-formed wall time without an offset (`2026-12-01T09:00`), which only a timezone can place. */
const WALL_TIME = z.iso.datetime({ local: true });
const isWallTime = (value: string): boolean =>
  !hasUtcOffset(value) && WALL_TIME.safeParse(upperCaseTAndZ(value)).success;
const delay = z
  // A duration as the CLI and the client write it ("10s") is the natural mistake: say what to write.
  .number({
    error: (issue) =>
      typeof issue.input === 'string'
        ? 'must be a number of seconds, such as 10 or 0.5, not a string: write "delay": 10, not "10" or "10s"'
        : 'must be a number of seconds, such as 10 or 0.5',
  })
  .min(0, 'must be 0 or more seconds')
  .max(MAX_DELAY_S, `must be at most ${MAX_DELAY_S.toLocaleString('en-US')} seconds (${MAX_DELAY_S / 86_400} days)`);

/**
 * An IANA time zone name of at most MAX_TIME_ZONE_LENGTH characters (openapi's TimeZone maxLength)
 * the runtime's tz data knows, kept as named in the tz database's spelling (`asia/kolkata` is
 * stored and shown as `Asia/Kolkata`, `US/Eastern` and `CET` as written: see zoneAsNamed); an
 * unknown one is named in the problem.
 */
const timezone = z
  .string()
  // Said as the length it is, not as an unknown zone; the zone is not looked up (abort).
  .min(1, {
    error: 'must not be empty: give an IANA name such as UTC or Europe/Berlin, or leave timezone out',
    abort: true,
  })
  .max(MAX_TIME_ZONE_LENGTH, {
    error: `must be at most ${MAX_TIME_ZONE_LENGTH} characters: an IANA name such as Europe/Berlin or America/New_York`,
    abort: true,
  })
  .superRefine((value, ctx) => {
    if (!isKnownTimeZone(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown time zone ${JSON.stringify(value)}: ${unknownZoneHint(value)}`,
      });
    }
  })
  .transform(zoneAsNamed);

/** `Z`, `+02:00`, `UTC+2`, `GMT-05:00`: an offset written where a zone's name goes. */
const OFFSET_AS_ZONE = /^\s*(?:z|(?:utc|gmt)?\s*[+-]\s*\d{1,2}(?::?\d{2})?)\s*$/i;

/** What to give instead of an unknown zone: an offset is told where it goes (`sendAt`), and that UTC is a name. */
const unknownZoneHint = (value: string): string =>
  OFFSET_AS_ZONE.test(value)
    ? 'timezone takes an IANA name such as UTC or Europe/Berlin; a fixed offset goes in sendAt itself: 2026-12-01T09:00:00+02:00, or 2026-12-01T09:00:00Z for UTC'
    : 'give an IANA name such as Europe/Berlin or America/New_York';

/** A non-empty list of distinct values of `values` (every one at most once, so at most all of them). */
const distinctList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .array(z.enum(values))
    .min(1)
    .max(values.length)
    .refine((list) => new Set(list).size === list.length, 'each value at most once');

/** Where to be told when the message's round ends, and on which outcomes (its URL checked like `url`). */
const callback = z.strictObject({ url: httpUrl, on: distinctList(CALLBACK_EVENTS) });

export const TIMEZONE_ALONE =
  'give sendAt (or delay) with timezone: a zone alone does not say whether the message keeps its instant or its wall time';

export const NO_OFFSET_NO_ZONE =
  'has no UTC offset: add one (Z or e.g. +01:00), or give a timezone to read this wall time in';

export const MessageIn = z
  .strictObject({
    url: httpUrl,
    sendAt: sendAt.optional(),
    delay: delay.optional(),
    timezone: timezone.optional(),
    method: z.enum(HTTP_METHODS).default('POST'),
    headers: headers.default({}),
    body: body.optional(),
    retry: z
      .strictObject({ maxAttempts: z.int().min(1).max(MAX_ATTEMPTS_LIMIT).default(DEFAULT_MAX_ATTEMPTS) })
      .optional(),
    timeoutMs: z.int().min(MESSAGE_TIMEOUT_MIN_MS).max(MESSAGE_TIMEOUT_MAX_MS).default(MESSAGE_TIMEOUT_DEFAULT_MS),
    metadata: metadata.default({}),
    labels: labels.optional(),
    callback: callback.optional(),
    flowControl: flowControl.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.sendAt === undefined) === (value.delay === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of sendAt or delay' });
    }
    // Only a sendAt of the right shape lacks just an offset: a malformed one (`""`, `+0100`) is told so alone.
    if (value.sendAt !== undefined && value.timezone === undefined && isWallTime(value.sendAt)) {
      ctx.addIssue({ code: 'custom', path: ['sendAt'], message: NO_OFFSET_NO_ZONE });
    }
  });
export type MessageIn = z.infer<typeof MessageIn>;

export const MessageBatchIn = z.strictObject({
  messages: z.array(MessageIn).min(1).max(MAX_BATCH),
});
export type MessageBatchIn = z.infer<typeof MessageBatchIn>;

export const MessagePatch = z
  .strictObject({
    sendAt: sendAt.optional(),
    delay: delay.optional(),
    timezone: timezone.optional(),
    url: httpUrl.optional(),
    method: z.enum(HTTP_METHODS).optional(),
    headers: headers.optional(),
    body: body.optional(),
    metadata: metadata.optional(),
    /** Replaces the labels (`[]` removes them all). */
    labels: labels.optional(),
    /** `null` removes the message's flow control. */
    flowControl: flowControl.nullable().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.sendAt !== undefined && value.delay !== undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give at most one of sendAt or delay' });
    }
    if (value.timezone !== undefined && value.sendAt === undefined && value.delay === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: TIMEZONE_ALONE });
    }
    if (Object.keys(value).length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give at least one field to change' });
    }
  });
export type MessagePatch = z.infer<typeof MessagePatch>;

/**
 * `2026-12-01T10:00:00 01:00`: an offset's `+` written unencoded in a query string, which reads it
 * as a space (`application/x-www-form-urlencoded`, as API Gateway and URLSearchParams do).
 */
const PLUS_READ_AS_SPACE = /^\d{4}-\d{2}-\d{2}T[\d:.]+ \d{2}:\d{2}$/i;

/** An instant bounding a filter's range: RFC 3339 with an offset, as epoch ms (a fraction of one up). */
const instant = z.preprocess(
  upperCaseTAndZ,
  z.iso
    .datetime({
      offset: true,
      error: (issue) =>
        missingDate(issue.input) ??
        unplaceableTime(issue.input) ??
        (typeof issue.input === 'string' && PLUS_READ_AS_SPACE.test(issue.input)
          ? `has a space where its offset's + should be: a query string reads + as a space, so write it as %2B (${issue.input.replace(' ', '%2B')}), or give the instant in UTC with Z`
          : 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T00:00:00Z'),
    })
    .transform((value) => notBeforeSubMillisecond(value, Date.parse(value))),
);

/**
 * Some of `values` (at most as many as there are), as a comma list (`failed,retrying`; a query
 * string) or an array (a JSON body); `what` names one in the problem (`each status must be one of …`).
 */
const listOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.union([z.string().transform((value) => value.split(',').map((s) => s.trim())), z.array(z.string())]).pipe(
    z
      .array(z.enum(values, { message: `each ${what} must be one of ${values.join(', ')}` }))
      .min(1)
      .max(values.length),
  );

const statusList = listOf(MESSAGE_STATUSES, 'status');
const originList = listOf(MESSAGE_ORIGIN_KINDS, 'origin');

/**
 * The fields of `MessageFilter` as a request gives them (the query of `GET /v1/messages`, a bulk
 * job's `filter`). Ranges are `[from, to)`. `updatedSince`: changed at or after this instant (for a
 * finished message: when it finished, so "failed since Monday" is `status=failed&updatedSince=...`).
 */
export const MESSAGE_FILTER_FIELDS = {
  status: statusList.optional(),
  label: label.optional(),
  urlPrefix: text().min(1).max(MAX_URL_LENGTH).optional(),
  sendAtFrom: instant.optional(),
  sendAtTo: instant.optional(),
  createdAtFrom: instant.optional(),
  createdAtTo: instant.optional(),
  updatedSince: instant.optional(),
  idContains: z
    .string()
    .regex(ID_TEXT_PATTERN, `must be 1 to ${ID_TEXT_MAX_LENGTH} letters, digits and _ (a message id or part of one)`)
    .transform(normalizeIdText)
    .optional(),
  origin: originList.optional(),
};

/**
 * A range's end must come after its start. Only two instants are compared: zod runs this even when
 * both bounds failed, and hands it their text, which compares as text.
 */
const checkRanges = (value: Partial<MessageFilter>, ctx: z.core.$RefinementCtx) => {
  for (const name of ['sendAt', 'createdAt'] as const) {
    const from: unknown = value[`${name}From`];
    const to: unknown = value[`${name}To`];
    if (typeof from === 'number' && typeof to === 'number' && to <= from) {
      ctx.addIssue({ code: 'custom', path: [`${name}To`], message: `must be after ${name}From` });
    }
  }
};

/** Drops what was not given, so a filter holds only the fields that narrow. */
const toFilter = ({ limit: _limit, cursor: _cursor, ...value }: Record<string, unknown>): MessageFilter =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as MessageFilter;

/** One filter, from a JSON body (a bulk job) or any object of the same fields. */
export const MessageFilterSchema = z.strictObject(MESSAGE_FILTER_FIELDS).superRefine(checkRanges).transform(toFilter);

/**
 * A page's size as a query string gives it: digits only. (A number coerced from text would take
 * `1e1`, `0x10` and ` 5` too, and call an empty `limit=` too small.)
 */
const pageLimit = z
  .string()
  .regex(/^\d{1,6}$/, `must be a whole number from 1 to ${MAX_PAGE_LIMIT}`)
  .transform(Number)
  .pipe(z.int().min(1).max(MAX_PAGE_LIMIT))
  .default(DEFAULT_PAGE_LIMIT);

export const MessageListQuery = z
  .strictObject({
    ...MESSAGE_FILTER_FIELDS,
    limit: pageLimit,
    cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  })
  .superRefine(checkRanges)
  .transform(({ limit, cursor, ...rest }) => ({
    filter: toFilter(rest),
    limit,
    ...(cursor !== undefined && { cursor }),
  }));
export type MessageListQuery = z.infer<typeof MessageListQuery>;

/**
 * `POST /v1/messages/cancel` and `/redeliver`: the messages to act on, by `ids` (1 to
 * MAX_BULK_IDS, each once) or by a `filter` (the listing's, MessageFilter), exactly one of them.
 */
export const BulkJobIn = z
  .strictObject({
    ids: z
      .array(z.string().regex(MESSAGE_ID_PATTERN, 'must be a message id (msg_ and 26 characters)'))
      .min(1)
      .max(MAX_BULK_IDS, `at most ${MAX_BULK_IDS} ids; select more with a filter`)
      .refine((ids) => new Set(ids).size === ids.length, 'each id at most once')
      .optional(),
    filter: MessageFilterSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.ids === undefined) === (value.filter === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of ids or filter' });
    }
  });
export type BulkJobIn = z.infer<typeof BulkJobIn>;

/** `GET /v1/jobs`: a page of the tenant's bulk jobs, newest first, in any of `state` if given. */
export const BulkJobListQuery = z.strictObject({
  state: listOf(BULK_JOB_STATES, 'state').optional(),
  limit: pageLimit,
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
});
export type BulkJobListQuery = z.infer<typeof BulkJobListQuery>;

/** `GET /v1/keys`: the active keys, or with `include=revoked` also those revoked lately. */
export const ApiKeyListQuery = z.strictObject({ include: z.literal('revoked').optional() });

/** The body of a delivery queue message. */
export const DeliveryTicketSchema = z.object({
  tenantId: z.string().min(1),
  messageId: z.string().min(1),
  version: z.int().min(0),
  dueAt: z.int(),
  // Only ever told, never acted on: a reason this worker does not know (a newer sender's) is dropped,
  // never a ticket refused for it.
  latenessReason: z.enum(TICKET_LATENESS_REASONS).optional().catch(undefined),
});

/** The body of a job queue message: run this step of a bulk job. */
export const BulkJobStepSchema = z.object({
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  step: z.int().min(0),
});

/** The body of a metering queue message. */
export const UsageEventSchema = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  kind: z.enum(USAGE_KINDS),
  at: z.int(),
  echo: z.boolean().optional(),
});

/** The input a bucket timer hands to the promote step. */
export const PromoteInput = z.object({ bucketAt: z.int() });

/** A name the caller wrote, as a problem shows it: cut to `max` characters, `…` saying it was cut. */
const shownName = (name: string, max: number): string => (name.length > max ? `${name.slice(0, max)}…` : name);

/**
 * The longest a name the caller chose (a field, header or metadata key) is shown in a problem's
 * `errors[].path` and `detail`: a 1 MB unknown field name would otherwise come back twice.
 */
export const MAX_SHOWN_NAME_LENGTH = 100;

/** The schema's own wrappers (optional, default, a transform's pipe) taken off, down to what it reads. */
const unwrapped = (schema: z.core.$ZodType): z.core.$ZodType => {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  if (def.innerType) return unwrapped(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrapped(def.in);
  return schema;
};

/** The field names the object at `path` of `schema` takes, or undefined where no one object is there. */
const fieldNamesAt = (schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>): string[] | undefined => {
  let at = unwrapped(schema);
  for (const segment of path) {
    const def = at._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    const next = def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : undefined;
    if (!next) return undefined;
    at = unwrapped(next);
  }
  const def = at._zod.def as { type: string; shape?: Record<string, z.core.$ZodType> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
};

/** Edits (insert, delete, change, swap two letters) from one name to another, past `most` counted as `most + 1`. */
const editsBetween = (a: string, b: string, most: number): number => {
  if (Math.abs(a.length - b.length) > most) return most + 1;
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return Math.min(rows[a.length]![b.length]!, most + 1);
};

/**
 * The field an unknown name was likely meant to be (`bodyy`, `header`, `sendat`, `send_at`), one of
 * `names` at most two edits away (one for a name of four letters or fewer), case and `_`/`-` aside.
 */
export const likelyField = (unknown: string, names: readonly string[]): string | undefined => {
  if (unknown.length > 64) return undefined;
  const plain = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
  const most = unknown.length <= 4 ? 1 : 2;
  let best: { name: string; edits: number } | undefined;
  for (const name of names) {
    const edits = editsBetween(plain(unknown), plain(name), most);
    if (edits <= most && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
};

/**
 * Turns zod issues into the `errors` of a validation problem, one per field, the first `most` of
 * them (ValidationError lists MAX_FIELD_ERRORS). Given the schema parsed, an unknown field names
 * the one it was likely meant to be (`unknown field: did you mean body?`).
 */
export const fieldErrors = (
  error: z.ZodError,
  prefix: ReadonlyArray<PropertyKey> = [],
  most = Number.POSITIVE_INFINITY,
  schema?: z.core.$ZodType,
): FieldError[] => {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path].map((segment) => shownName(String(segment), MAX_SHOWN_NAME_LENGTH));
    if (issue.code === 'unrecognized_keys') {
      const names = schema && fieldNamesAt(schema, issue.path);
      for (const key of issue.keys.slice(0, most - errors.length)) {
        const meant = names && likelyField(key, names);
        errors.push({
          path: [...path, shownName(key, MAX_SHOWN_NAME_LENGTH)].join('.'),
          message: meant ? `unknown field: did you mean ${meant}?` : 'unknown field',
        });
      }
    } else if (issue.code === 'invalid_key') {
      errors.push({ path: path.join('.'), message: issue.issues[0]?.message ?? issue.message });
    } else {
      errors.push({ path: path.join('.'), message: issue.message });
    }
    if (errors.length >= most) break;
  }
  return errors;
};

/**
 * The validation problem of zod's issues: the first MAX_FIELD_ERRORS made into field errors, the
 * rest only counted (a 6 MiB body of unknown fields is 600,000 of them: making each an entry cost
 * a second).
 */
export const validationErrorOf = (
  error: z.ZodError,
  prefix: ReadonlyArray<PropertyKey> = [],
  schema?: z.core.$ZodType,
): ValidationError => {
  const total = error.issues.reduce(
    (sum, issue) => sum + (issue.code === 'unrecognized_keys' ? issue.keys.length : 1),
    0,
  );
  return new ValidationError(fieldErrors(error, prefix, MAX_FIELD_ERRORS, schema), total);
};

/** A JSON value as a problem names its kind: `a string`, `a list`, `null`. */
const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'true or false';
  return `a ${typeof value}`;
};

/** What zod expects, in the same words: `array` is `a list`, `object` `an object`. */
const expectedKind = (expected: string): string =>
  expected === 'array' ? 'a list' : expected === 'object' ? 'an object' : `a ${expected}`;

const bounded = (issue: { origin?: string; inclusive?: boolean }, bound: unknown, which: 'least' | 'most') => {
  const counted =
    issue.origin === 'string' ? 'character' : issue.origin === 'array' || issue.origin === 'set' ? 'item' : '';
  if (counted !== '' && which === 'least' && issue.inclusive !== false && Number(bound) === 1)
    return 'must not be empty';
  const unit = counted === '' ? '' : ` ${counted}${Number(bound) === 1 ? '' : 's'}`;
  if (issue.inclusive === false) return `must be ${which === 'least' ? 'more' : 'less'} than ${String(bound)}${unit}`;
  return `must be at ${which} ${String(bound)}${unit}`;
};

/**
 * A request's problems in words a person acts on, where a schema gives none of its own (its own
 * win): `url: is required`, not zod's `Invalid input: expected string, received undefined`;
 * `must be at most 20`, `must be one of POST, PUT, PATCH`, `must be a string, not a number`.
 * Anything else keeps zod's words.
 */
export const readableIssue = (issue: z.core.$ZodRawIssue): string | undefined => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      // A text coerced to a number that is none (`VIGIL_PORT=abc`) arrives as NaN: "not a number" says nothing more.
      if (Number.isNaN(issue.input)) return `must be ${expectedKind(String(issue.expected))}`;
      return `must be ${expectedKind(String(issue.expected))}, not ${kindOf(issue.input)}`;
    case 'too_small':
      return bounded(issue, issue.minimum, 'least');
    case 'too_big':
      return bounded(issue, issue.maximum, 'most');
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    default:
      return undefined;
  }
};

/** Parses a request's part with readableIssue's words. */
export const safeParseRequest = <S extends z.ZodType>(schema: S, input: unknown) =>
  schema.safeParse(input, { error: readableIssue });

/** Parses or throws a ValidationError carrying every problem found. */
export const parseOrThrow = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
  const result = safeParseRequest(schema, input);
  if (!result.success) throw validationErrorOf(result.error, [], schema);
  return result.data;
};

/**
 * A name or description a person reads in lists and events, trimmed: no control characters (NUL,
 * a line break) within it.
 */
const plainText = () =>
  text()
    .trim()
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters (a line break, a tab, NUL)');

export const ApiKeyIn = z.strictObject({
  name: plainText().min(1).max(API_KEY_NAME_MAX_LENGTH),
});
export type ApiKeyIn = z.infer<typeof ApiKeyIn>;

export const NotificationEndpointIn = z.strictObject({
  url: httpUrl,
  events: distinctList(NOTIFICATION_EVENT_TYPES).default([...NOTIFICATION_EVENT_TYPES]),
  description: plainText().max(ENDPOINT_DESCRIPTION_MAX_LENGTH).optional(),
});
export type NotificationEndpointIn = z.infer<typeof NotificationEndpointIn>;

/** A day of usage: none is counted before 2000 (and a year 0 would default `from` to no date at all). */
const isoDate = z.iso
  .date({ message: 'must be a date, YYYY-MM-DD' })
  .refine((date) => date >= '2000-01-01', 'must be 2000-01-01 or later');

/** The dates' rules (in order, at most 366 days) hold for the range with its defaults: `usageRange`. */
export const UsageQuery = z.strictObject({ from: isoDate.optional(), to: isoDate.optional() });
