import { describe, expect, it } from 'vitest';
import type { BatchOutcome } from './batch-coalescer';
import { BatchCoalescer } from './batch-coalescer';

/** A batch sender whose requests are answered by the test: each call is recorded with its answer. */
const heldSender = () => {
  const requests: Array<{ batch: number[]; answer: (outcome?: BatchOutcome | Error) => void }> = [];
  const sendBatch = (batch: readonly number[]) =>
    new Promise<BatchOutcome>((resolve, reject) => {
      requests.push({
        batch: [...batch],
        answer: (outcome = []) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)),
      });
    });
  return { requests, sendBatch };
};

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const settledOf = (promise: Promise<void>) =>
  promise.then(
    () => 'sent',
    (error: Error) => error.message,
  );

describe('BatchCoalescer', () => {
  it('sends a lone caller’s entries at once, in batches of the batch size', async () => {
    const { requests, sendBatch } = heldSender();
    const coalescer = new BatchCoalescer(sendBatch, 10, 1);
    const sent = coalescer.send(range(0, 23));
    expect(requests.map((r) => r.batch.length)).toEqual([10, 10, 3]);
    for (const request of requests) request.answer();
    await expect(sent).resolves.toBeUndefined();
  });

  it('makes callers beyond the partial requests on the wire wait, then sends what waited together', async () => {
    const { requests, sendBatch } = heldSender();
    const coalescer = new BatchCoalescer(sendBatch, 10, 2);
    const sends = range(0, 27).map((i) => coalescer.send([i]));
    // Two single-entry requests on the wire; the other 25 callers wait for one of them.
    expect(requests.map((r) => r.batch)).toEqual([[0], [1]]);
    requests[0]!.answer();
    await sends[0];
    expect(requests.map((r) => r.batch.length)).toEqual([1, 1, 10]);
    requests[1]!.answer();
    await sends[1];
    expect(requests.map((r) => r.batch.length)).toEqual([1, 1, 10, 10]);
    requests[2]!.answer();
    await sends[2];
    expect(requests.map((r) => r.batch)).toEqual([[0], [1], range(2, 10), range(12, 10), range(22, 5)]);
    for (const request of requests.slice(3)) request.answer();
    await expect(Promise.all(sends)).resolves.toHaveLength(27);
  });

  it('never holds back a caller’s full batch, only its remainder', async () => {
    const { requests, sendBatch } = heldSender();
    const coalescer = new BatchCoalescer(sendBatch, 10, 1);
    void coalescer.send([100]);
    const sent = coalescer.send(range(0, 14));
    expect(requests.map((r) => r.batch)).toEqual([[100], range(0, 10)]);
    requests[0]!.answer();
    requests[1]!.answer();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests[2]?.batch).toEqual(range(10, 4));
    requests[2]!.answer();
    await expect(sent).resolves.toBeUndefined();
  });

  it('tells each caller of its own entries only: a refused entry, a request that threw', async () => {
    const { requests, sendBatch } = heldSender();
    const coalescer = new BatchCoalescer(sendBatch, 10, 1);
    const first = settledOf(coalescer.send([0]));
    const sends = [1, 2, 3].map((i) => settledOf(coalescer.send([i])));
    requests[0]!.answer();
    await first;
    // 1, 2 and 3 waited and went together; the queue refused 2 alone.
    expect(requests[1]!.batch).toEqual([1, 2, 3]);
    requests[1]!.answer([{ index: 1, error: new Error('refused: 2') }]);
    expect(await Promise.all(sends)).toEqual(['sent', 'refused: 2', 'sent']);

    // A request that throws fails every caller whose entries it carried, and only those.
    const lone = settledOf(coalescer.send([4]));
    const together = [5, 6].map((i) => settledOf(coalescer.send([i])));
    requests[2]!.answer();
    expect(await lone).toBe('sent');
    expect(requests[3]!.batch).toEqual([5, 6]);
    const after = settledOf(coalescer.send([7]));
    requests[3]!.answer(new Error('connection reset'));
    expect(await Promise.all(together)).toEqual(['connection reset', 'connection reset']);
    requests[4]!.answer();
    expect(await after).toBe('sent');
  });
});
