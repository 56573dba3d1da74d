/** Any failure as one line that says what to do, with the exit code a script can branch on. */
import { VigilError, VigilNetworkError, VigilRateLimitError, VigilTimeoutError } from '../errors';
import { formatDuration } from './duration';
import { CliError, EXIT } from './exit-codes';
import { truncate } from './output';

interface ProblemLike {
  status: number;
  type?: string;
  message: string;
  detail?: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string }>;
}

const isProblemLike = (error: unknown): error is ProblemLike =>
  error instanceof Error && typeof (error as unknown as ProblemLike).status === 'number';

/** What a failure was about, to say it in the user's terms. */
export interface Where {
  apiUrl?: string;
  /** The message or job the call named. */
  id?: string;
  /** The flag of each API field the command sets (`sendAtTo` → `--send-before`). */
  flags?: Readonly<Record<string, string>>;
  /** Which key a refusal (401, 403) is about (`the key in VIGIL_API_KEY`), and how to fix it. */
  key?: { what: string; fix: string } | undefined;
  /**
   * What to do when the API did not answer in time, for a call that changes something: it may have
   * been carried out all the same (a create stored, its answer lost), so trying again blindly may do
   * it twice. A read (the default) says to try again later.
   */
  timeoutHint?: string;
}

/**
 * A field the API names (`query.sendAtTo`, `filter.status`, `url`) as the user gave it: the flag
 * that set it when there is one (`--send-before`), and the API's other field names in its message
 * likewise (`must be after sendAtFrom` → `must be after --send-after`).
 */
const fieldText = (path: string, message: string, flags: Where['flags'] = {}) => {
  const field = path.replace(/^(query|filter)\./, '').replace(/\.\d+$/, '');
  // Only names no sentence uses (`sendAtFrom`, not `headers` in "url + body + headers").
  const named = Object.entries(flags)
    .filter(([name]) => /[A-Z]/.test(name))
    .reduce((text, [name, flag]) => text.replace(new RegExp(`\\b${name}\\b`, 'g'), flag), message);
  // A field inside one a flag sets (`headers.x-trace`, `retry.maxAttempts`): that flag, and the rest.
  const [first = '', ...rest] = field.split('.');
  const where = flags[field] ?? (flags[first] ? [flags[first], ...rest].join(' ') : path);
  // A rule about the whole message (its size) names no field: say what it is about.
  if (!where) return /^is /.test(named) ? `the message ${named}` : named;
  return `${where}: ${named}`;
};

/** The fields a 422 names, `url: must be http(s); delay: too large`. */
const fieldsText = (errors: ProblemLike['errors'], flags?: Where['flags']) =>
  (errors ?? []).map((e) => fieldText(e.path, e.message, flags)).join('; ');

/** What an id names, by its prefix, for "no such ...". */
const KINDS: Array<[string, string, string]> = [
  ['job_', 'job', 'check the id vigil cancel or vigil redeliver printed'],
  ['msg_', 'message', 'check the id with vigil ls'],
];

/**
 * Text from elsewhere (a proxy's HTML page, an OpenSSL error with its line breaks) as part of one
 * line: its runs of white space one space, and at most `max` characters.
 */
const oneLine = (text: string, max = 160): string => truncate(text.replace(/\s+/g, ' ').trim(), max);

/**
 * Why no answer came, in words, by the system's code (VigilNetworkError's `code`); another code is
 * told by the client's detail.
 */
const NO_ANSWER: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'its host name could not be looked up',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'connecting timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_SOCKET: 'the connection closed before an answer',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak https there: is the URL http://?',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

/** What to do when a read got no answer in time: nothing was changed, so trying again is safe. */
const READ_TIMEOUT_HINT =
  'try again later; if it persists, check that the API is running and its URL (vigil login --api-url, or VIGIL_API_URL)';

/** What to do when what answered is not the Vigil API. */
const NOT_THE_API_HINT = 'check the URL (vigil login --api-url, or VIGIL_API_URL)';

/** ` at http://localhost:4000` when the API's URL is known. */
const at = (where: Where) => (where.apiUrl ? ` at ${where.apiUrl}` : '');

/** `error` (from the SDK, the file system, anything) as the CliError the CLI prints. */
export const toCliError = (error: unknown, where: Where = {}): CliError => {
  if (error instanceof CliError) return error;
  if (isProblemLike(error)) {
    const detail = oneLine(error.detail || error.message);
    const { status } = error;
    if (error instanceof VigilError && error.is('invalid-response')) {
      // Not about one answer (a listing that would never end: a cursor answered again, a million
      // empty pages): the client's detail says what was answered, which the words below do not.
      if (error.url === undefined && error.detail) {
        return new CliError(oneLine(error.detail, 300), EXIT.unreachable, NOT_THE_API_HINT);
      }
      // A success without the API's JSON in it (a web page, nothing), or JSON unlike the API's
      // answer (`mismatch`: no message id): told by its URL and status.
      const from = error.url ?? where.apiUrl;
      const answered = `${from ? `${from} answered` : 'the answer was'} HTTP ${status}`;
      const { mismatch } = error.problem;
      return new CliError(
        typeof mismatch === 'string'
          ? `${answered}, but not as the Vigil API does (${oneLine(mismatch)})`
          : `${answered} without the Vigil API's JSON, so it is not the Vigil API`,
        EXIT.unreachable,
        NOT_THE_API_HINT,
      );
    }
    if (error instanceof VigilTimeoutError) {
      const each = formatDuration(error.timeoutMs);
      return new CliError(
        `no answer from the Vigil API${at(where)} ${error.tries > 1 ? `in ${error.tries} tries of ${each} each` : `within ${each}`}`,
        EXIT.unreachable,
        where.timeoutHint ?? READ_TIMEOUT_HINT,
      );
    }
    if (status === 0) {
      const why = (error instanceof VigilNetworkError && error.code && NO_ANSWER[error.code]) || oneLine(detail, 120);
      return new CliError(
        `cannot reach the Vigil API${at(where)} (${why.replace(/\.$/, '')})`,
        EXIT.unreachable,
        'check the URL (vigil login --api-url, or VIGIL_API_URL) and that the API is running',
      );
    }
    if (status === 401 || status === 403) {
      // A 401's detail says how to send a key over HTTP ("Authorization: Bearer ..."): said in the CLI's terms.
      const why = status === 401 ? 'unknown or revoked' : detail;
      return new CliError(
        `the API refused ${where.key?.what ?? 'the key'} (${status}: ${why})`,
        EXIT.auth,
        where.key?.fix ?? 'run vigil login with a valid key, or fix VIGIL_API_KEY',
      );
    }
    if (status === 404) {
      // No id named, or the API says no route has the path (`no-such-route`): the route itself is
      // not there, so the URL is likely not the API's root.
      if (!where.id || (error instanceof VigilError && error.is('no-such-route'))) {
        // The API's words: the client's hint about baseUrl is said below in the CLI's terms.
        const apiDetail = error instanceof VigilError ? oneLine(error.problem.detail || detail) : detail;
        return new CliError(
          `not found (${apiDetail})`,
          EXIT.notFound,
          `check the API URL${where.apiUrl ? ` ${where.apiUrl}` : ''}: the API's root, without /v1 (vigil login --api-url, or VIGIL_API_URL)`,
        );
      }
      const [, kind, hint] = KINDS.find(([prefix]) => where.id?.startsWith(prefix)) ?? KINDS[1]!;
      return new CliError(`no ${kind} ${where.id}`, EXIT.notFound, hint);
    }
    if (status === 409) {
      // The API's detail names the message already ("Message msg_... is delivered and ..."): it is said once.
      const named = !where.id || detail.includes(where.id);
      return new CliError(`${named ? '' : `${where.id}: `}${detail}`, EXIT.conflict);
    }
    if (status === 429) {
      // The month's allowance is not waited out in a moment: the API's detail says when it renews.
      const monthly = error instanceof VigilError && error.is('quota-exceeded');
      const after = error instanceof VigilRateLimitError ? error.retryAfter : undefined;
      return new CliError(
        `${detail} (429)`,
        EXIT.limited,
        monthly
          ? 'the quota renews at the start of next month (UTC)'
          : after
            ? `try again in ${formatDuration(after * 1000)}`
            : 'wait a moment and try again',
      );
    }
    if (status >= 400 && status < 500) {
      const fields = fieldsText(error.errors, where.flags);
      return new CliError(`the API refused the request (${status}): ${fields || detail}`, EXIT.usage);
    }
    return new CliError(
      `the Vigil API failed (${status}: ${detail})`,
      EXIT.failure,
      error.requestId ? `try again; quote request id ${error.requestId} if it persists` : 'try again',
    );
  }
  return new CliError(oneLine(error instanceof Error ? error.message : String(error), 300), EXIT.failure);
};
