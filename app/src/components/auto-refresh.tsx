'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * An open dialog (a confirmation, a form): the person is reading or typing in it, and a refresh
 * could take away what it was opened on (a "Retry now" whose message has just moved on). The page
 * is read again once it closes; the dialog's action, if it runs, answers for what changed meanwhile.
 */
const dialogOpen = () => document.querySelector('[role="dialog"], [role="alertdialog"]') !== null;

/** Re-reads the page from the server every `everyMs` while `active` (live rows on screen), not under an open dialog. */
export function AutoRefresh({ active, everyMs = 2000 }: { active: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible' && !dialogOpen()) router.refresh();
    }, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs, router]);
  return null;
}
