/**
 * What the client reads in each kind of answer, checked before a call hands it back: a URL that is
 * not the Vigil API (the web console, a proxy's health page, a mock server, an old version) can
 * answer 200 with JSON of another shape, which came back as objects whose ids were undefined. Only
 * the fields the client's calls and the CLI rely on are checked (ids, status, cursors, counts), by
 * their JSON type: any other field, and any value (a status a newer API adds), passes. Hand-written
 * rather than a schema library, to keep the client small.
 */

/**
 * A field: `id` a non-empty string, `string`, `number`, `string|null`, `number|null`; `[Shape]` an
 * array of that kind; or the fields of an object inside it.
 */
type Field = 'id' | 'string' | 'number' | 'string|null' | 'number|null' | [Shape] | Fields;
interface Fields {
  readonly [name: string]: Field;
}

/** A kind of answer: its name in words (`message`) and the fields the client reads. */
export interface Shape {
  what: string;
  fields: Fields;
}

/** What an answer lacks to be the kind a call expects, in words (`no message id`), or undefined. */
export type Check = (value: unknown) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typeOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : value === ''
        ? 'empty'
        : typeof value === 'object'
          ? 'an object'
          : `a ${typeof value}`;

const fits = (field: string, value: unknown): boolean =>
  field === 'id'
    ? typeof value === 'string' && value !== ''
    : (value === null && field.endsWith('|null')) || typeof value === field.replace('|null', '');

/** What `value` lacks of `fields` (those of an object `path` inside the answer), or undefined. */
const lackingIn = (what: string, fields: Fields, value: unknown, path: string): string | undefined => {
  if (!isObject(value))
    return path ? `${what} ${path.slice(0, -1)} is ${typeOf(value)}` : `${typeOf(value)}, not a ${what}`;
  for (const [name, field] of Object.entries(fields)) {
    const got = value[name];
    const at = path + name;
    if (got === undefined) return `no ${what} ${at}`;
    if (typeof field === 'string') {
      if (!fits(field, got)) return `${what} ${at} is ${typeOf(got)}`;
    } else if (Array.isArray(field)) {
      if (!Array.isArray(got)) return `${what} ${at} is ${typeOf(got)}`;
      for (let i = 0; i < got.length; i++) {
        const why = lacking(field[0], got[i]);
        if (why !== undefined) return `${why} in ${at}[${i}]`;
      }
    } else {
      const why = lackingIn(what, field, got, `${at}.`);
      if (why !== undefined) return why;
    }
  }
  return undefined;
};

/** What `value` lacks to be a `shape` (`no message id`, `message attempts is a string`), or undefined. */
export const lacking = (shape: Shape, value: unknown): string | undefined =>
  lackingIn(shape.what, shape.fields, value, '');

const shape = (what: string, fields: Fields): Shape => ({ what, fields });

export const MESSAGE = shape('message', {
  id: 'id',
  status: 'string',
  url: 'string',
  sendAt: 'string',
  attempts: 'number',
  maxAttempts: 'number',
});
export const MESSAGE_LIST = shape('message list', { items: [MESSAGE] });
export const MESSAGE_PAGE = shape('message page', {
  items: [MESSAGE],
  nextCursor: 'string|null',
  previousCursor: 'string|null',
});
export const ATTEMPT_LIST = shape('attempt list', {
  items: [shape('attempt', { n: 'number', startedAt: 'string' })],
  omitted: 'number',
});
export const JOB = shape('job', {
  id: 'id',
  action: 'string',
  state: 'string',
  counts: { done: 'number', skipped: 'number', failed: 'number' },
  total: 'number|null',
});
export const JOB_PAGE = shape('job page', { items: [JOB], nextCursor: 'string|null' });
export const KEY = shape('key', { id: 'id', name: 'string', prefix: 'string' });
export const KEY_LIST = shape('key list', { items: [KEY] });
export const ENDPOINT = shape('notification endpoint', { id: 'id', url: 'string' });
export const ENDPOINT_LIST = shape('notification endpoint list', { items: [ENDPOINT] });
export const SIGNING_SECRET = shape('signing secret', { secret: 'string' });
const DAY = { date: 'string', scheduled: 'number', delivered: 'number', failed: 'number', attempts: 'number' } as const;
export const USAGE = shape('usage report', {
  days: [shape('usage day', DAY)],
  monthToDate: DAY,
  plan: { name: 'string' },
});
export const HEALTH = shape('health report', { status: 'string', version: 'string' });
export const SESSION_TENANT = shape('tenant', { id: 'id' });

/** `keys.create`'s answer: a new key with its secret (`key`), or one made before, without it (`keyNotShown`). */
export const KEY_CREATED: Check = (value) => {
  const why = lacking(KEY, value);
  if (why !== undefined) return why;
  const { key, keyNotShown } = value as { key?: unknown; keyNotShown?: unknown };
  return typeof key === 'string' || typeof keyNotShown === 'string' ? undefined : 'no key secret';
};

/**
 * A page of `page`'s kind, and of at most `limit` items (`kind`: `messages`; the 100 a page holds at
 * most when no limit was given): a broken server's page of a million is not handed on.
 */
export const pageOf =
  (page: Shape, kind: string, limit: number | undefined): Check =>
  (value) => {
    const items = isObject(value) ? value.items : undefined;
    const most = limit ?? 100;
    if (Array.isArray(items) && items.length > most) {
      const asked = limit === undefined ? 'a page holds' : 'asked for';
      return `a page of ${items.length.toLocaleString('en-US')} ${kind}, more than the ${most} ${asked}`;
    }
    return lacking(page, value);
  };

/** A batch's answer: a message for each of the `sent` (the API creates them all, or none). */
export const batchOf =
  (sent: number): Check =>
  (value) => {
    const why = lacking(MESSAGE_LIST, value);
    if (why !== undefined) return why;
    const { length } = (value as { items: unknown[] }).items;
    return length === sent ? undefined : `${length} created for the ${sent} messages sent`;
  };

/** The answer of a call the API answers 204 (a revoke, a removal): any success with a body is not its. */
export const NO_CONTENT: Check = () => 'a body, where the API answers none (204)';
