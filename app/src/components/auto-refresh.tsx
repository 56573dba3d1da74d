'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useTransition } from 'react';

/**
 * An open dialog (a confirmation, a form): the person is reading or typing in it, and a refresh
 * could take away what it was opened on (a "Retry now" whose message has just moved on). The page
 * is read again once it closes; the dialog's action, if it runs, answers for what changed meanwhile.
 */
const dialogOpen = () => document.querySelector('[role="dialog"], [role="alertdialog"]') !== null;

/**
 * Re-reads the page from the server every `everyMs` while `active` (live rows on screen), not under
 * an open dialog, and never while its last read is still under way. Next.js's router queues each
 * refresh behind the one before and draws only what the latest asked for: refreshes asked faster
 * than the API answered them (a slow day: 3 s a read, one asked every second) piled up without end,
 * and the page, and any link followed from it, waited on them for good.
 */
export function AutoRefresh({
  active,
  everyMs = 2000,
  onRead,
}: {
  active: boolean;
  everyMs?: number;
  /** Told as each read starts. */
  onRead?: () => void;
}) {
  const router = useRouter();
  const [reading, startTransition] = useTransition();
  const readingNow = useRef(false);
  const onReadNow = useRef(onRead);
  useEffect(() => {
    readingNow.current = reading;
    onReadNow.current = onRead;
  }, [reading, onRead]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (readingNow.current || document.visibilityState !== 'visible' || dialogOpen()) return;
      readingNow.current = true;
      onReadNow.current?.();
      startTransition(() => router.refresh());
    }, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs, router]);
  return null;
}
