/**
 * The local gateway's stand-in for Lambda's concurrency limit: at most `maxInFlight` requests are
 * being handled at once (the authorizer, then the function); one beyond them waits its turn, in
 * order of arrival, for up to `waitMs`, and is then refused (answered 503 with Retry-After, as API
 * Gateway answers a function it could not invoke). Without it, 200 tenants sending a few creates a
 * second each on a small machine had every request started at once: thousands in flight, each
 * store call waiting behind the others past the SDK's 10 s timeout, so that nearly every request
 * failed slowly (503 and 502 after 10 s and more, connections reset or never accepted) and hardly
 * any was made. The wait is kept in the process's own time (a stall of the process is given back).
 */
import type { StallAwareDeadline } from '@vigil/aws/stall-aware-deadline';
import { stallAwareDeadline } from '@vigil/aws/stall-aware-deadline';

export interface Admission {
  /** Its turn came: call `release` once the request is done with (its answer sent and its function ended). */
  admitted: boolean;
  release(): void;
}

interface Waiting {
  admit(): void;
  deadline: StallAwareDeadline;
}

export class RequestAdmission {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly waitMs: number,
  ) {}

  /** How many requests are being handled now. */
  get running(): number {
    return this.inFlight;
  }

  /** Resolves when the request may run (`admitted`), or when its wait is up (not admitted). */
  enter(): Promise<Admission> {
    if (this.inFlight < this.maxInFlight && this.waiting.length === 0) return Promise.resolve(this.admit());
    return new Promise((resolve) => {
      const waiting: Waiting = {
        admit: () => resolve(this.admit()),
        deadline: stallAwareDeadline(performance.now() + this.waitMs, this.waitMs, () => {
          this.waiting.splice(this.waiting.indexOf(waiting), 1);
          resolve({ admitted: false, release: () => {} });
        }),
      };
      this.waiting.push(waiting);
    });
  }

  private admit(): Admission {
    this.inFlight += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        const next = this.waiting.shift();
        if (!next) return;
        next.deadline.cancel();
        next.admit();
      },
    };
  }
}
