'use client';

import { useSyncExternalStore } from 'react';

/** One clock for every time on the page, ticking once a second; undefined while rendering on the server. */
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

/** How old the shared clock may be when a new time appears before it is read again. */
const STALE_MS = 100;

const tick = () => {
  now = Date.now();
  for (const l of listeners) l();
};

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  // A time that just appeared (a page refreshed after an action) is judged against now, not
  // against the last tick up to a second ago: a revocation made 0.6 s ago must not read "in 1 second".
  if (Date.now() - now > STALE_MS) tick();
  timer ??= setInterval(tick, 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
};

export const useNow = (): number | undefined =>
  useSyncExternalStore(
    subscribe,
    () => now,
    () => undefined,
  );

const noSubscription = () => () => {};

/** True once rendering in the browser (after hydration), false on the server. */
export const useInBrowser = (): boolean =>
  useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
