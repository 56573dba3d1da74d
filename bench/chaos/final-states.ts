/**
 * The chaos run's last step before its checks: reading every accepted message until it is final or
 * the grace has passed. A read the API did not answer (a fault the layer injected, a 5xx) says
 * nothing of the message, so one past the deadline is asked again, up to UNANSWERED_READ_PASSES
 * passes: a single failed read must not read as "the API never showed its final state".
 */
import type { FinalView } from './invariants';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'failed', 'cancelled']);
/** Passes past the deadline for the messages whose last read got no answer. */
export const UNANSWERED_READ_PASSES = 5;
/** Reads in flight at once. */
const READS_IN_FLIGHT = 10;

export interface FinalStateReading {
  /** The message's view, or what the API answered instead (`503 service-unavailable`, say). */
  read(id: string): Promise<FinalView | string>;
  /** Epoch ms after which a message the API answered with a waiting status stays as it was seen. */
  deadline: number;
  now(): number;
  sleep(ms: number): Promise<unknown>;
  /** Between passes; 2 s in the run. */
  pauseMs: number;
}

export interface FinalStates {
  /** Each id's last view the API answered with (absent: it never answered). */
  finals: Map<string, FinalView>;
  /** For each id the API never answered with a view, what it answered the last time. */
  unanswered: Map<string, string>;
}

export const readFinalStates = async (ids: readonly string[], how: FinalStateReading): Promise<FinalStates> => {
  const finals = new Map<string, FinalView>();
  const lastRefusal = new Map<string, string>();
  let passesPastDeadline = 0;
  for (;;) {
    const open = ids.filter((id) => !TERMINAL_STATUSES.has(finals.get(id)?.status ?? ''));
    if (open.length === 0) break;
    let unanswered = 0;
    for (let at = 0; at < open.length; at += READS_IN_FLIGHT) {
      await Promise.all(
        open.slice(at, at + READS_IN_FLIGHT).map(async (id) => {
          const view = await how.read(id);
          if (typeof view === 'string') {
            lastRefusal.set(id, view);
            unanswered += 1;
          } else finals.set(id, view);
        }),
      );
    }
    if (how.now() > how.deadline) {
      passesPastDeadline += 1;
      if (unanswered === 0 || passesPastDeadline >= UNANSWERED_READ_PASSES) break;
    }
    await how.sleep(how.pauseMs);
  }
  return { finals, unanswered: new Map([...lastRefusal].filter(([id]) => !finals.has(id))) };
};
