/**
 * The Messages page's filters as its URL holds them (so a filtered list is a link anyone can open,
 * and the back button returns to it), and as the API's list query. The URL uses the API's own
 * parameter names and forms: `status=failed,retrying`, instants as RFC 3339 UTC.
 */
import type { ListMessages } from '@vigil/client';
import type { MessageOriginKind, MessageStatus, Problem } from '@/lib/types';
import { firstValue } from '@/lib/paths';
import { MESSAGE_ORIGIN_KINDS, MESSAGE_STATUSES } from '@/lib/types';

/** The filters that are instants (`updatedSince`: changed at or after it, e.g. failed since). */
export const RANGE_PARAMS = ['sendAtFrom', 'sendAtTo', 'createdAtFrom', 'createdAtTo', 'updatedSince'] as const;
const TEXT_PARAMS = ['label', 'urlPrefix', 'idContains', ...RANGE_PARAMS] as const;

/** Each filter as the form names it, by its parameter (the API's and the URL's). */
export const FILTER_LABELS: Record<'status' | 'origin' | (typeof TEXT_PARAMS)[number], string> = {
  status: 'Status',
  origin: 'Made by',
  label: 'Label',
  urlPrefix: 'URL starts with',
  idContains: 'Id contains',
  sendAtFrom: 'Send at from',
  sendAtTo: 'Send at before',
  createdAtFrom: 'Created from',
  createdAtTo: 'Created before',
  updatedSince: 'Changed since',
};

/** The type of a list's refusal of its filters, worded by filtersRefused. */
export const FILTERS_REFUSED = 'filters-refused';

/**
 * The API's refusal of the list's query (a shared link with a label of 200 characters, say), in
 * the filter form's words: which filter, and what it must be, where the API names `query.label`
 * for a program. Any other problem is as it was.
 */
export const filtersRefused = (problem: Problem): Problem => {
  const fields = (problem.errors ?? []).filter((e) => e.path.startsWith('query.'));
  if (problem.status !== 422 || fields.length === 0) return problem;
  const named = fields.map(({ path, message }) => {
    const name = path.slice('query.'.length);
    return `${FILTER_LABELS[name as keyof typeof FILTER_LABELS] ?? name}: ${message}`;
  });
  return {
    ...problem,
    // The console's own words already (problemWords keeps them).
    type: FILTERS_REFUSED,
    title: fields.length === 1 ? 'This filter cannot be used' : 'These filters cannot be used',
    detail: `${named.join('; ')}. Change or clear ${fields.length === 1 ? 'it' : 'them'} in Filters above.`,
  };
};

/** Every filter of the page; '' (or no status, no origin) where none is given. */
export type MessageSearch = { status: MessageStatus[]; origin: MessageOriginKind[] } & Record<
  (typeof TEXT_PARAMS)[number],
  string
>;

type SearchParams = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined): string => firstValue(value)?.trim() ?? '';

/** The filters in a page's search params (a status repeated or as a comma list; unknown ones dropped). */
export const searchOf = (params: SearchParams): MessageSearch => {
  const listed = (name: string) => [params[name] ?? []].flat().flatMap((s) => s.split(','));
  const statuses = listed('status');
  const origins = listed('origin');
  return {
    status: MESSAGE_STATUSES.filter((status) => statuses.includes(status)),
    origin: MESSAGE_ORIGIN_KINDS.filter((origin) => origins.includes(origin)),
    ...(Object.fromEntries(TEXT_PARAMS.map((name) => [name, first(params[name])])) as Record<
      (typeof TEXT_PARAMS)[number],
      string
    >),
  };
};

/** True when any filter is given. */
export const isFiltered = (search: MessageSearch): boolean =>
  search.status.length > 0 || search.origin.length > 0 || TEXT_PARAMS.some((name) => search[name] !== '');

/** The page's URL for these filters, at `cursor` if given. */
export const searchHref = (search: MessageSearch, cursor?: string): string => {
  const params = new URLSearchParams();
  if (search.status.length > 0) params.set('status', search.status.join(','));
  if (search.origin.length > 0) params.set('origin', search.origin.join(','));
  for (const name of TEXT_PARAMS) if (search[name] !== '') params.set(name, search[name]);
  if (cursor) params.set('cursor', cursor);
  return `/messages${params.size > 0 ? `?${params}` : ''}`;
};

/** The API's list query for these filters. */
export const listQueryOf = (search: MessageSearch): ListMessages => ({
  ...(search.status.length > 0 && { status: search.status }),
  ...(search.origin.length > 0 && { origin: search.origin }),
  ...Object.fromEntries(TEXT_PARAMS.filter((name) => search[name] !== '').map((name) => [name, search[name]])),
});

const RANGE_WORDS: Record<(typeof RANGE_PARAMS)[number], string> = {
  sendAtFrom: 'send at from',
  sendAtTo: 'send at before',
  createdAtFrom: 'created from',
  createdAtTo: 'created before',
  updatedSince: 'changed since',
};

const ORIGIN_WORDS: Record<MessageOriginKind, string> = {
  message: 'you',
  callback: 'Vigil (callbacks)',
  notification: 'Vigil (alerts)',
};

/**
 * The filters given, in a few words each, for the line that stands for the folded filters:
 * `failed or retrying`, `made by you`, `label billing`, `changed since 2026-12-06 16:00:00 UTC`
 * (an instant as `time` writes it: in the zone the console shows).
 */
export const filterWords = (search: MessageSearch, time: (iso: string) => string): string[] => [
  ...(search.status.length > 0 ? [search.status.join(' or ')] : []),
  ...(search.origin.length > 0 ? [`made by ${search.origin.map((o) => ORIGIN_WORDS[o]).join(' or ')}`] : []),
  ...(search.label ? [`label ${search.label}`] : []),
  ...(search.urlPrefix ? [`URL starts with ${search.urlPrefix}`] : []),
  ...(search.idContains ? [`id contains ${search.idContains}`] : []),
  ...RANGE_PARAMS.filter((name) => search[name] !== '').map((name) => `${RANGE_WORDS[name]} ${time(search[name])}`),
];
