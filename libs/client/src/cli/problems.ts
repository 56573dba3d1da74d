/** Any failure as one line that says what to do, with the exit code a script can branch on. */
import { CliError, EXIT } from './exit-codes';

interface ProblemLike {
  status: number;
  message: string;
  detail?: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string }>;
}

const isProblemLike = (error: unknown): error is ProblemLike =>
  error instanceof Error && typeof (error as unknown as ProblemLike).status === 'number';

/** The fields a 422 names, `url: must be http(s); delay: too large`. */
const fieldsText = (errors: ProblemLike['errors']) =>
  (errors ?? []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');

/** `error` (from the SDK, the file system, anything) as the CliError the CLI prints. */
export const toCliError = (error: unknown, where: { apiUrl?: string; id?: string } = {}): CliError => {
  if (error instanceof CliError) return error;
  if (isProblemLike(error)) {
    const detail = error.detail || error.message;
    const { status } = error;
    if (status === 0) {
      return new CliError(
        `cannot reach the Vigil API${where.apiUrl ? ` at ${where.apiUrl}` : ''} (${detail})`,
        EXIT.unreachable,
        'check the URL (vigil login --api-url, or VIGIL_API_URL) and that the API is running',
      );
    }
    if (status === 401 || status === 403) {
      return new CliError(
        `the API refused the key (${status}: ${detail})`,
        EXIT.auth,
        'run vigil login with a valid key, or fix VIGIL_API_KEY',
      );
    }
    if (status === 404) {
      return new CliError(
        where.id ? `no message ${where.id}` : `not found (${detail})`,
        EXIT.notFound,
        'check the id with vigil ls',
      );
    }
    if (status === 409) return new CliError(`${where.id ? `${where.id}: ` : ''}${detail}`, EXIT.conflict);
    if (status === 429) {
      return new CliError(`${detail} (429)`, EXIT.limited, 'wait a moment and try again');
    }
    if (status >= 400 && status < 500) {
      const fields = fieldsText(error.errors);
      return new CliError(`the API refused the request (${status}): ${fields || detail}`, EXIT.usage);
    }
    return new CliError(
      `the Vigil API failed (${status}: ${detail})`,
      EXIT.failure,
      error.requestId ? `try again; quote request id ${error.requestId} if it persists` : 'try again',
    );
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.failure);
};
