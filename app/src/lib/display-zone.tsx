'use client';

import { createContext, type ReactNode, useCallback, useContext, useSyncExternalStore } from 'react';
import { browserTimeZone } from '@/lib/format';

/**
 * Which zone the console shows times in: the viewer's own (the default) or UTC, chosen with the
 * header's toggle and remembered per signed-in user in this browser (localStorage, keyed by the
 * user, so two people sharing a browser keep their own choice).
 */
export type ZoneChoice = 'local' | 'utc';

const storageKey = (user: string) => `vigil.times.${user}`;
const listeners = new Set<() => void>();
/** Choices made where storage is refused (a private window with storage off): for this page's life. */
const unstored = new Map<string, ZoneChoice>();

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  // Another tab of the same console changing the choice.
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
};

const readChoice = (user: string): ZoneChoice => {
  try {
    return window.localStorage.getItem(storageKey(user)) === 'utc' ? 'utc' : 'local';
  } catch {
    return unstored.get(user) ?? 'local';
  }
};

const UserContext = createContext('');

/** Names the signed-in user whose choice the toggle and every time on the page use. */
export function DisplayZoneScope({ user, children }: { user: string; children: ReactNode }) {
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

/** The viewer's choice; undefined while rendering on the server (no zone known there). */
export const useZoneChoice = (): [ZoneChoice | undefined, (choice: ZoneChoice) => void] => {
  const user = useContext(UserContext);
  const choice = useSyncExternalStore(
    subscribe,
    () => readChoice(user),
    () => undefined,
  );
  const choose = useCallback(
    (next: ZoneChoice) => {
      try {
        window.localStorage.setItem(storageKey(user), next);
      } catch {
        unstored.set(user, next);
      }
      for (const listener of listeners) listener();
    },
    [user],
  );
  return [choice, choose];
};

/** The IANA zone times are shown in: `UTC` or the browser's; undefined on the server. */
export const useDisplayZone = (): string | undefined => {
  const [choice] = useZoneChoice();
  if (choice === undefined) return undefined;
  return choice === 'utc' ? 'UTC' : browserTimeZone();
};
