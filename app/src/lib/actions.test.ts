/** What a dialog says when its action met Vigil busy or failing: plain words, not the API's words for programs. */
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/navigation', () => ({ unstable_rethrow: () => {} }));
vi.mock('./api', async () => {
  class ApiProblem extends Error {
    constructor(readonly problem: Record<string, unknown>) {
      super(String(problem.detail));
    }
  }
  return {
    ApiProblem,
    withVigil: async () => {
      throw new ApiProblem({
        type: 'https://vigil.dev/problems/unavailable',
        title: 'Service unavailable',
        status: 503,
        detail:
          'A service Vigil depends on was unavailable (throttled or failing); try again after Retry-After. A create repeated with its Idempotency-Key is never made twice.',
      });
    },
  };
});

const { cancelMessage } = await import('./actions');

describe('an action that met a 503', () => {
  it('says Vigil is having trouble, that it could not be done just now, and to try again: no Retry-After', async () => {
    const result = await cancelMessage('msg_01JDX00000000000000000000');
    expect(result.ok).toBe(false);
    const error = result.ok ? '' : result.error;
    expect(error).toMatch(/^Vigil is having trouble right now\. This could not be done just now/);
    expect(error).toContain('Wait a few seconds, then try again.');
    expect(error).not.toMatch(/Retry-After|Idempotency-Key/);
  });
});
