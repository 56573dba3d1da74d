/**
 * Finding messages: the one filter a listing (`GET /v1/messages`) and a bulk job take, the labels
 * it finds them by, and the pure parts of serving it from the store: which range of message ids a
 * filter and a cursor leave to read (message ids are ULIDs, so their order is creation order), and
 * whether a message matches. The store decides which index to read (dynamo-message-store.ts).
 */
import { encodeTime, TIME_MAX } from 'ulid';
import type { Message, MessageStatus } from './message';
import { MESSAGE_STATUSES } from './message';
import { ValidationError } from './errors';
import { MESSAGE_ID_PATTERN } from './ids';
import { MESSAGE_ORIGIN_KINDS } from './shared/message-values';

/** Labels a message may carry. */
export const MAX_LABELS = 10;
export const LABEL_MAX_LENGTH = 64;
/** A label: 1 to LABEL_MAX_LENGTH letters, digits and `. _ : / -` (no comma: a comma separates a query's list). */
export const LABEL_PATTERN = new RegExp(`^[A-Za-z0-9._:/-]{1,${LABEL_MAX_LENGTH}}$`);
export const LABEL_RULE = `1 to ${LABEL_MAX_LENGTH} letters, digits and . _ : / - only`;

/** The longest text searched for in message ids (`msg_` and 26 characters: an id whole). */
export const ID_TEXT_MAX_LENGTH = 30;
/** Text searched for in message ids: what an id holds (`msg_` and Crockford base32). */
export const ID_TEXT_PATTERN = new RegExp(`^[A-Za-z0-9_]{1,${ID_TEXT_MAX_LENGTH}}$`);

/**
 * Which messages to find. Every field narrows (all must hold); a range is `[from, to)` in epoch
 * ms. `status` is any of the given statuses. Parsed from a query or a JSON body by
 * `MessageFilterSchema` (schemas.ts), so a listing and a bulk job take the same fields.
 */
export interface MessageFilter {
  status?: MessageStatus[];
  label?: string;
  urlPrefix?: string;
  sendAtFrom?: number;
  sendAtTo?: number;
  createdAtFrom?: number;
  createdAtTo?: number;
  /** Changed at or after this instant (epoch ms); for a finished message, when it finished. */
  updatedSince?: number;
  /** Text in the message id, case as ids are written (`msg_` then upper case); see `normalizeIdText`. */
  idContains?: string;
  /** Who made it: any of these (`message`: the tenant's own; `callback`, `notification`: Vigil's event deliveries). */
  origin?: MessageOriginKind[];
}

/** Who made a message (shared/message-values.ts: the CLI's `--origin` takes the same). */
export { MESSAGE_ORIGIN_KINDS };
export type MessageOriginKind = (typeof MESSAGE_ORIGIN_KINDS)[number];

export const originKindOf = (message: Pick<Message, 'origin'>): MessageOriginKind => message.origin?.kind ?? 'message';

/** Where a page starts: after (older than) `id` for the next page, before (newer than) it for the previous one. */
export type ListCursor = { direction: 'next' | 'previous'; id: string };

/** Items one page may read from the store, matching or not, before it answers with what it found and a cursor. */
export const LIST_SCAN_BUDGET = 1000;

/**
 * How far a message id's time may lie before its `createdAt`: an event delivery's id carries its
 * round's last due time (event-webhooks.ts `derivedMessageId`), stored moments later. A createdAt
 * range reads this much more of the id range and checks `createdAt` exactly.
 */
export const ID_TIME_SLACK_MS = 60 * 60 * 1000;

/**
 * Message ids as written: `msg_` lower case, the ULID upper case (Crockford base32 reads both),
 * so `01jdx` finds `msg_01JDX…`.
 */
export const normalizeIdText = (text: string): string => {
  const cut = text.lastIndexOf('_');
  return cut === -1
    ? text.toUpperCase()
    : `${text.slice(0, cut + 1).toLowerCase()}${text.slice(cut + 1).toUpperCase()}`;
};

/** Statuses to read, or undefined for every status (none given, or all of them). */
export const statusesToRead = (filter: MessageFilter): MessageStatus[] | undefined => {
  const given = filter.status === undefined ? [] : [...new Set(filter.status)];
  return given.length === 0 || given.length === MESSAGE_STATUSES.length ? undefined : given;
};

/** Id text that starts an id (`msg_…`) is served as a range of ids; any other is searched in each id. */
export const isIdPrefix = (text: string): boolean => text.startsWith('msg_');

const ID_PREFIX = 'msg_';
/** Above every character of an id, so `x + ABOVE` ends the range of ids starting with `x`. */
const ABOVE = '~';
const ULID_RANDOM_LENGTH = 16;

const idAtTime = (ms: number, fill: '0' | 'Z'): string =>
  `${ID_PREFIX}${encodeTime(Math.min(Math.max(0, Math.floor(ms)), TIME_MAX))}${fill.repeat(ULID_RANDOM_LENGTH)}`;

/** The largest string below `id` that ids of its length reach: `x <= below(id)` iff `x < id`. */
const below = (id: string): string =>
  `${id.slice(0, -1)}${String.fromCharCode(id.charCodeAt(id.length - 1) - 1)}${ABOVE}`;

/**
 * The inclusive range of message ids a filter and a cursor leave to read, or undefined when
 * nothing can match. Ids sort by creation: `createdAt` bounds the range (with ID_TIME_SLACK_MS
 * around it), an id prefix narrows it, and a cursor starts it after or before the id it names.
 */
export const idRangeOf = (filter: MessageFilter, cursor?: ListCursor): { from: string; to: string } | undefined => {
  let from = ID_PREFIX;
  let to = `${ID_PREFIX}${ABOVE}`;
  const narrow = (low: string, high: string) => {
    if (low > from) from = low;
    if (high < to) to = high;
  };
  if (filter.createdAtFrom !== undefined) narrow(idAtTime(filter.createdAtFrom - ID_TIME_SLACK_MS, '0'), to);
  if (filter.createdAtTo !== undefined) narrow(from, idAtTime(filter.createdAtTo + ID_TIME_SLACK_MS, 'Z'));
  if (filter.idContains !== undefined && isIdPrefix(filter.idContains)) {
    narrow(filter.idContains, `${filter.idContains}${ABOVE}`);
  }
  if (cursor?.direction === 'next') narrow(from, below(cursor.id));
  // Every id longer than `cursor.id` that starts with it sorts after it, and ids are all one length.
  if (cursor?.direction === 'previous') narrow(`${cursor.id}0`, to);
  return from <= to ? { from, to } : undefined;
};

/** The parts of a message a filter looks at (a listing's summary holds them all). */
export type FilteredParts = Pick<
  Message,
  'id' | 'status' | 'url' | 'sendAt' | 'createdAt' | 'updatedAt' | 'labels' | 'origin'
>;

const inRange = (value: number, from: number | undefined, to: number | undefined) =>
  (from === undefined || value >= from) && (to === undefined || value < to);

/** Whether a message is one the filter selects. */
export const matchesFilter = (m: FilteredParts, filter: MessageFilter): boolean =>
  (filter.status === undefined || filter.status.length === 0 || filter.status.includes(m.status)) &&
  (filter.label === undefined || (m.labels ?? []).includes(filter.label)) &&
  (filter.urlPrefix === undefined || m.url.startsWith(filter.urlPrefix)) &&
  inRange(m.sendAt, filter.sendAtFrom, filter.sendAtTo) &&
  inRange(m.createdAt, filter.createdAtFrom, filter.createdAtTo) &&
  (filter.updatedSince === undefined || m.updatedAt >= filter.updatedSince) &&
  (filter.idContains === undefined || m.id.includes(filter.idContains)) &&
  (filter.origin === undefined || filter.origin.length === 0 || filter.origin.includes(originKindOf(m)));

/** The instants of a filter, which the API gives and shows as RFC 3339. */
const FILTER_INSTANTS = ['sendAtFrom', 'sendAtTo', 'createdAtFrom', 'createdAtTo', 'updatedSince'] as const;
type FilterInstant = (typeof FILTER_INSTANTS)[number];

/** A filter as a request gives it and the API shows it (`MessageFilter` in openapi.yaml): instants as RFC 3339. */
export type MessageFilterOut = Omit<MessageFilter, FilterInstant> & Partial<Record<FilterInstant, string>>;

export const toMessageFilterOut = (filter: MessageFilter): MessageFilterOut => {
  const out: MessageFilterOut = { ...filter } as MessageFilterOut;
  for (const name of FILTER_INSTANTS) {
    const ms = filter[name];
    if (ms !== undefined) out[name] = new Date(ms).toISOString();
  }
  return out;
};

const CURSOR_KEY = { next: 'n', previous: 'p' } as const;

/** A listing's cursor as the API hands it out (messages', jobs'): its fields, opaque and URL-safe. */
export const encodeCursorFields = (fields: Record<string, string>): string =>
  Buffer.from(JSON.stringify(fields)).toString('base64url');

/** The 422 for a cursor no listing handed out. */
export const invalidCursor = (): ValidationError =>
  ValidationError.single('query.cursor', 'is not a cursor returned by this listing');

/** A cursor's fields, as `encodeCursorFields` wrote them; a text that is not one is `invalidCursor`. */
export const cursorFields = (cursor: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof value !== 'object' || value === null) throw invalidCursor();
  return value as Record<string, unknown>;
};

/** A cursor as the API hands it out: opaque, URL-safe. */
export const encodeListCursor = (cursor: ListCursor): string =>
  encodeCursorFields({ [CURSOR_KEY[cursor.direction]]: cursor.id });

/**
 * Whether a store key in a cursor of the earlier format names one of the caller's partitions:
 * `T#<tenant>`, or a key under it (`T#<tenant>#<status>`, `T#<tenant>#<shard>`). A tenant id holds
 * no `#`, so no other tenant's key starts so.
 */
const namesTenant = (key: unknown, tenantId: string): boolean =>
  typeof key === 'string' && (key === `T#${tenantId}` || key.startsWith(`T#${tenantId}#`));

/**
 * The position a cursor names, for the tenant that sends it. A cursor is a place in the id order,
 * not a saved query: it holds no tenant data (every read stays in the caller's partition) and stays
 * valid when the filter changes. Cursors issued before paging went both ways (`{pk, sk, statusPk?}`)
 * still lead on, for the tenant whose partitions they name: one that names another's (a cursor
 * decoded and changed) was never handed to this caller, and is refused like any other forgery.
 */
export const decodeListCursor = (cursor: string, tenantId: string): ListCursor => {
  const v = cursorFields(cursor);
  const keys = Object.keys(v);
  const id = (given: unknown) => {
    if (typeof given !== 'string' || !MESSAGE_ID_PATTERN.test(given)) throw invalidCursor();
    return given;
  };
  if (keys.length === 1 && keys[0] === CURSOR_KEY.next) return { direction: 'next', id: id(v.n) };
  if (keys.length === 1 && keys[0] === CURSOR_KEY.previous) return { direction: 'previous', id: id(v.p) };
  const legacy =
    keys.every((k) => ['pk', 'sk', 'statusPk'].includes(k)) &&
    typeof v.sk === 'string' &&
    namesTenant(v.pk, tenantId) &&
    (v.statusPk === undefined || namesTenant(v.statusPk, tenantId));
  if (legacy && (v.sk as string).startsWith('M#')) return { direction: 'next', id: id((v.sk as string).slice(2)) };
  throw invalidCursor();
};
