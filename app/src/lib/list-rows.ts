/**
 * The Messages list on a bad day, from the page the API returned and nothing else: which targets are
 * failing (many messages to one host failing at once is an endpoint that is down, not many bad
 * messages), and Vigil's own deliveries to one endpoint in one state as one row, so that twenty
 * alerts retrying to a failing notification endpoint do not push your own messages off the page.
 */
import type { Message, MessageStatus } from './types';

/** Where a message goes, as its row names it: `127.0.0.1:9710`, `api.example.com`. */
export interface TargetHost {
  /** The host (and port) as written, without credentials. */
  host: string;
  /**
   * What the list's "URL starts with" filter takes to show the messages to this host
   * (`https://api.example.com/`); none when the URL holds credentials, which a filter link
   * would put in the address bar.
   */
  urlPrefix?: string;
}

/** The scheme, the credentials if any, and the host of a URL as written (not as a parser rewrites it). */
const AUTHORITY = /^([a-z][a-z\d+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*)/i;

export const targetHost = (url: string): TargetHost => {
  const parts = AUTHORITY.exec(url);
  if (!parts) return { host: url };
  const [, scheme, credentials, host = ''] = parts;
  return credentials === undefined ? { host, urlPrefix: `${scheme}${host}/` } : { host };
};

/** A host several messages of the page are failing to. */
export interface FailingTarget extends TargetHost {
  failed: number;
  retrying: number;
  /** Messages to it on the page that were delivered: a few among many failures is a host that fails often, not always. */
  delivered: number;
  /** Every failing message to it is one of Vigil's own deliveries (callbacks, alerts). */
  vigilOnly: boolean;
}

/** How many failing messages to one host make it a failing target. */
export const FAILING_AT = 2;

/** The hosts with at least FAILING_AT failed or retrying messages on the page, most failures first. */
export const failingTargets = (messages: readonly Message[], at = FAILING_AT): FailingTarget[] => {
  const byHost = new Map<string, FailingTarget>();
  for (const message of messages) {
    const target = targetHost(message.url);
    const entry = byHost.get(target.host) ?? { ...target, failed: 0, retrying: 0, delivered: 0, vigilOnly: true };
    byHost.set(target.host, entry);
    if (message.status === 'delivered') entry.delivered += 1;
    if (message.status !== 'failed' && message.status !== 'retrying') continue;
    entry[message.status] += 1;
    if (!message.origin) entry.vigilOnly = false;
  }
  return [...byHost.values()]
    .filter((t) => t.failed + t.retrying >= at)
    .sort((a, b) => b.failed + b.retrying - (a.failed + a.retrying));
};

/** What Vigil's own deliveries of a group are, in words: `alerts`, `callbacks`, `test events`. */
export type VigilKind = 'alerts' | 'callbacks' | 'test events';

/** A row of the list: one message, or Vigil's own deliveries to one target in one state. */
export type ListRow =
  | { kind: 'message'; message: Message }
  | { kind: 'vigil'; what: VigilKind; status: MessageStatus; messages: Message[] };

const vigilKind = (message: Message): VigilKind | undefined => {
  const origin = message.origin;
  if (!origin) return undefined;
  if (origin.kind === 'callback') return 'callbacks';
  return origin.event === 'notification.test' ? 'test events' : 'alerts';
};

/**
 * The page's messages as rows, newest first as the API listed them: Vigil's own deliveries of the
 * same kind, to the same URL (and method), in the same state, as one row where the first of them
 * stood, when there are two or more; each of your own messages, and a lone delivery of Vigil's,
 * a row of its own.
 */
export const listRows = (messages: readonly Message[]): ListRow[] => {
  const rows: ListRow[] = [];
  const groups = new Map<string, Extract<ListRow, { kind: 'vigil' }>>();
  for (const message of messages) {
    const what = vigilKind(message);
    if (!what) {
      rows.push({ kind: 'message', message });
      continue;
    }
    const key = [what, message.method, message.url, message.status].join(' ');
    const group = groups.get(key);
    if (group) {
      group.messages.push(message);
      continue;
    }
    const row = { kind: 'vigil' as const, what, status: message.status, messages: [message] };
    groups.set(key, row);
    rows.push(row);
  }
  // A group of one is a row like any other.
  return rows.map((row) =>
    row.kind === 'vigil' && row.messages.length === 1 ? { kind: 'message', message: row.messages[0]! } : row,
  );
};

/** How the page's messages fell into rows: your own, and Vigil's folded into rows of several. */
export interface PageMakeup {
  /** Messages shown a row each (yours, and a lone delivery of Vigil's). */
  own: number;
  /** Vigil's own deliveries folded into rows of several, and how many such rows. */
  folded: number;
  foldedRows: number;
}

export const pageMakeup = (rows: readonly ListRow[]): PageMakeup => {
  const makeup = { own: 0, folded: 0, foldedRows: 0 };
  for (const row of rows) {
    if (row.kind === 'message') makeup.own += 1;
    else {
      makeup.folded += row.messages.length;
      makeup.foldedRows += 1;
    }
  }
  return makeup;
};

/**
 * Whether folding left the page short of messages of its own (25 listed, 20 of them alerts in one
 * row: six rows), while later pages hold more: the list then offers to show only your messages.
 */
export const foldingLeftPageShort = (makeup: PageMakeup, pageSize: number, morePages: boolean): boolean =>
  morePages && makeup.folded > 0 && makeup.own < pageSize / 2;
