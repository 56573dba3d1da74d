/** A bulk confirmation of messages picked from folded rows says how many are Vigil's own, beside the true count. */
import { describe, expect, it, vi } from 'vitest';

vi.mock('@/lib/actions', () => ({ readBulkJob: async () => ({}), startBulkJob: async () => ({}) }));
vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }) }));

const { foldedWords } = await import('./bulk-actions');

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
