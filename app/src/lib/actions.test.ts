/** What a dialog says when its action met Vigil busy, failing or a limit of the plan: plain words, not the API's words for programs. */
import { describe, expect, it, vi } from 'vitest';

/** The problem the API answers the next action with. */
const answer = vi.hoisted(() => ({
  problem: {
    type: 'https://vigil.dev/problems/unavailable',
    title: 'Service unavailable',
    status: 503,
    detail:
      'A service Vigil depends on was unavailable (throttled or failing); try again after Retry-After. A create repeated with its Idempotency-Key is never made twice.',
  } as Record<string, unknown>,
}));

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
      throw new ApiProblem(answer.problem);
    },
  };
});

const { cancelMessage, redeliverMessage, startBulkJob } = await import('./actions');
const { waitsForRenewal } = await import('./types');

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

describe('an action refused 429', () => {
  it("says the plan's rate was reached, that nothing was changed, and in how many seconds to try again", async () => {
    answer.problem = {
      type: 'https://vigil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Your plan allows 10 requests per second (bursts of 20); retry after 2 s.',
      retryAfter: 2,
    };
    const result = await cancelMessage('msg_01JDX00000000000000000000');
    expect(result).toEqual({
      ok: false,
      error:
        "Your plan's request rate was reached. This could not be done just now, and nothing was changed: your account is sending Vigil more requests a second than its plan allows (your own API calls count too). Try again in 2 seconds.",
    });
    // Seconds to wait: its dialog keeps the button to try again.
    expect(waitsForRenewal(result.ok ? undefined : result)).toBe(false);
  });

  it("says a redeliver or a bulk job refused for the month's quota as that, and hands back when it renews", async () => {
    answer.problem = {
      type: 'https://vigil.dev/problems/quota-exceeded',
      title: 'Monthly quota exceeded',
      status: 429,
      detail: "This month's quota of 1000 messages is used up (1000 scheduled); it renews on the 1st (UTC).",
      retryAfter: 2_091_600,
      renewsAt: '2027-01-01T00:00:00.000Z',
    };
    const redeliver = await redeliverMessage('msg_01JDX00000000000000000000', 'console-redeliver-1');
    const bulk = await startBulkJob('redeliver', { ids: ['msg_01JDX00000000000000000000'] }, 'console-bulk-1');
    for (const result of [redeliver, bulk]) {
      expect(result).toEqual({
        ok: false,
        error:
          "This month's message quota is used up. Nothing was sent: your account has scheduled as many messages this month as its plan allows. New messages and redeliveries are refused until the quota renews; the messages you scheduled before are still delivered. To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.",
        renewsAt: '2027-01-01T00:00:00.000Z',
      });
      // Nothing to try again before it renews: its dialog offers only to close.
      expect(waitsForRenewal(result.ok ? undefined : result)).toBe(true);
    }
  });
});

describe('an action refused for the request itself', () => {
  it('says what happened and what to do, with what Vigil said of it, not only its detail', async () => {
    answer.problem = {
      type: 'https://vigil.dev/problems/state-conflict',
      title: 'The request conflicts with the current state',
      status: 409,
      detail: 'Message msg_01JDX00000000000000000000 is delivered and can no longer be cancelled.',
    };
    expect(await cancelMessage('msg_01JDX00000000000000000000')).toEqual({
      ok: false,
      error:
        'It has changed since this page was loaded. This was not done: Message msg_01JDX00000000000000000000 is delivered and can no longer be cancelled. Reload the page to see where things stand now.',
    });
  });
});
