/**
 * Coalesces the small sends of concurrent callers into fuller batch requests, without a timer.
 * Entries of a partial batch go out at once while fewer than `maxPartialInFlight` such requests are
 * on the wire; beyond that they wait for one to come back, and the entries that waited go
 * together, up to `batchSize` a request. A caller's full batches never wait. So a lone caller (a
 * Lambda invocation's create) sends as before, and many at once (the local stack's API serving 32
 * creates) share requests: fewer SDK calls, the CPU the local stack spends on each create.
 *
 * Each caller learns the fate of its own entries only: an entry the batch request refused, or a
 * request that threw, rejects the callers whose entries it carried, not the others.
 */

/** What one batch request did: the positions (in the batch it was given) of the entries it could not send. */
export type BatchOutcome = ReadonlyArray<{ index: number; error: Error }>;

interface Waiting<E> {
  entry: E;
  settle: (error?: Error) => void;
}

export class BatchCoalescer<E> {
  private waiting: Array<Waiting<E>> = [];
  private partialInFlight = 0;

  constructor(
    /** Sends one batch (at most `batchSize` entries) and tells which entries it could not send; may throw. */
    private readonly sendBatch: (batch: readonly E[]) => Promise<BatchOutcome>,
    private readonly batchSize: number,
    private readonly maxPartialInFlight: number,
  ) {}

  /** Sends the entries; resolves once all of them are sent, rejects with the first error among them. */
  send(entries: readonly E[]): Promise<void> {
    const settled: Array<Promise<void>> = [];
    const full = entries.length - (entries.length % this.batchSize);
    for (let i = 0; i < full; i += this.batchSize) {
      settled.push(...this.dispatch(this.deferred(entries.slice(i, i + this.batchSize))));
    }
    const rest = this.deferred(entries.slice(full));
    this.waiting.push(...rest.map(({ waiting }) => waiting));
    settled.push(...rest.map(({ done }) => done));
    this.pump();
    return Promise.all(settled).then(() => undefined);
  }

  private deferred(entries: readonly E[]): Array<{ waiting: Waiting<E>; done: Promise<void> }> {
    return entries.map((entry) => {
      let settle: Waiting<E>['settle'] = () => {};
      const done = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      return { waiting: { entry, settle }, done };
    });
  }

  /** Sends what waits, while there is room on the wire for partial batches. */
  private pump(): void {
    while (this.waiting.length > 0 && this.partialInFlight < this.maxPartialInFlight) {
      const batch = this.waiting.splice(0, this.batchSize);
      this.partialInFlight += 1;
      void this.request(batch).finally(() => {
        this.partialInFlight -= 1;
        this.pump();
      });
    }
  }

  private dispatch(batch: ReadonlyArray<{ waiting: Waiting<E>; done: Promise<void> }>): Array<Promise<void>> {
    void this.request(batch.map(({ waiting }) => waiting));
    return batch.map(({ done }) => done);
  }

  /** One batch request; settles every entry it carried. Never rejects. */
  private async request(batch: ReadonlyArray<Waiting<E>>): Promise<void> {
    let outcome: BatchOutcome;
    try {
      outcome = await this.sendBatch(batch.map(({ entry }) => entry));
    } catch (error) {
      const thrown = error instanceof Error ? error : new Error(String(error));
      for (const { settle } of batch) settle(thrown);
      return;
    }
    const refused = new Map(outcome.map(({ index, error }) => [index, error]));
    batch.forEach(({ settle }, index) => settle(refused.get(index)));
  }
}
