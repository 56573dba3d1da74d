/**
 * Saying so when the API is slow to answer. A read may take 4 tries of 15 s (sdk-api.ts), a minute
 * without a word on a bad day; after SLOW_ANSWER_NOTE_MS without an answer the CLI notes, once a
 * command, that it is still waiting and that Ctrl-C stops it.
 */
import type { Api } from './api';

/** How long a call may go unanswered before the CLI says it waits. */
export const SLOW_ANSWER_NOTE_MS = 5_000;

/**
 * `api` whose calls call `note` once (for the first of them) when one goes `afterMs` without
 * settling. A call that returns no promise (the `list` iterators) is left as it is.
 */
export const notingSlowAnswers = (api: Api, afterMs: number, note: () => void): Api => {
  let noted = false;
  const wrap = <T extends object>(group: T): T =>
    new Proxy(group, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          if (noted || !(result instanceof Promise)) return result;
          const timer = setTimeout(() => {
            if (noted) return;
            noted = true;
            note();
          }, afterMs);
          return result.finally(() => clearTimeout(timer));
        };
      },
    });
  return { messages: wrap(api.messages), jobs: wrap(api.jobs) };
};
