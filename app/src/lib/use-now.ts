'use client';

import { useSyncExternalStore } from 'react';

/** One clock for every time on the page, ticking once a second; undefined while rendering on the server. */
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, 1000);
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
