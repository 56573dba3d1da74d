import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable } from './dependency-errors';

/** The error Node gives a connection it could not open (its `code`, `errno` and `syscall` as net sets them). */
const connectError = (code: string, errno: number) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:45095 - Local (undefined:undefined)`), {
    code,
    errno,
    syscall: 'connect',
  });

describe('isDependencyUnavailable', () => {
  it('takes a connection this process had no file descriptor to open (EMFILE, ENFILE) for a passing refusal: a 503 with Retry-After, not a 500', () => {
    expect(isDependencyUnavailable(connectError('EMFILE', -24))).toBe(true);
    expect(isDependencyUnavailable(connectError('ENFILE', -23))).toBe(true);
  });

  it('takes a refused connection for one, as the SDK does, and not an error of Vigil’s own', async () => {
    const refused = await new Promise<Error>((resolve) => connect(1, '127.0.0.1').on('error', resolve));
    expect(isDependencyUnavailable(refused)).toBe(true);
    expect(isDependencyUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDependencyUnavailable(Object.assign(new Error('bad'), { name: 'ValidationException' }))).toBe(false);
  });
});
