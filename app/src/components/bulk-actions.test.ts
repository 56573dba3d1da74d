/** A bulk confirmation of messages picked from folded rows says how many are Vigil's own, beside the true count. */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { BulkJob } from '@/lib/types';

vi.mock('@/lib/actions', () => ({ readBulkJob: async () => ({}), startBulkJob: async () => ({}) }));
vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }) }));

const { foldedWords, JobProgress } = await import('./bulk-actions');

describe("a bulk confirmation's words for folded rows", () => {
  const folded = new Set(['msg_a', 'msg_b', 'msg_c']);

  it("say how many of the messages are Vigil's own deliveries, shown folded", () => {
    expect(foldedWords(['msg_a', 'msg_b', 'msg_c', 'msg_x'], folded)).toBe(
      " 3 of them are Vigil's own deliveries (alerts or callbacks), shown folded into rows of several.",
    );
    expect(foldedWords(['msg_a', 'msg_b'], folded)).toMatch(/^ All of them are Vigil's own deliveries/);
    expect(foldedWords(['msg_a'], folded)).toBe(" It is one of Vigil's own deliveries (an alert or a callback).");
  });

  it('say nothing of a selection of your own messages', () => {
    expect(foldedWords(['msg_x', 'msg_y'], folded)).toBe('');
  });
});

describe("a bulk redeliver stopped by the month's quota", () => {
  it('says what it did, why it stopped in words (not the API’s), when the quota renews (UTC until the browser shows the viewer’s zone) and how to send more', () => {
    const job: BulkJob = {
      id: 'job_01JDX00000000000000000000',
      action: 'redeliver',
      state: 'failed',
      selection: { ids: 5 },
      counts: { done: 2, skipped: 0, failed: 0 },
      total: 5,
      stopReason: {
        code: 'quota-exceeded',
        detail: "This month's quota of 10000 messages is used up (10000 scheduled); it renews on the 1st (UTC).",
      },
      createdAt: '2026-12-31T23:59:58.000Z',
      updatedAt: '2026-12-31T23:59:59.500Z',
      finishedAt: '2026-12-31T23:59:59.500Z',
    };
    const text = renderToStaticMarkup(createElement(Theme, null, createElement(JobProgress, { initial: job })))
      .replace(/<[^>]+>/g, '')
      .replace(/&#x27;/g, "'");
    expect(text).toContain('Stopped 2 of 5 reached: 2 redelivered, 0 skipped.');
    expect(text).toContain(
      "This month's message quota is used up, so the rest were not redelivered: your account has scheduled as many messages this month as its plan allows. New messages and redeliveries are refused until the quota renews; the messages you scheduled before are still delivered. It renews on 2027-01-01 00:00:00 UTC. To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.",
    );
    expect(text).not.toContain('quota of 10000');
  });
});
