'use client';

import { Spinner, Text } from '@radix-ui/themes';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';

/**
 * From a click on a link to another page of the console until that page is drawn: "Opening…". A
 * message's page has no loading boundary (one would answer its 404 as a 200), so on a slow day a
 * click on a message showed nothing for as long as the API took (8 s a read: 8 s of a page that
 * seemed not to hear it), and people click again. Pages with their own loading.tsx show it at once
 * and this only briefly.
 */
export function NavigationPending() {
  const pathname = usePathname();
  const [opening, setOpening] = useState(false);
  // The page changed (the link's page drawn): done. Set while rendering, as React's docs adjust state to a prop.
  const [drawn, setDrawn] = useState(pathname);
  if (drawn !== pathname) {
    setDrawn(pathname);
    setOpening(false);
  }
  useEffect(() => {
    // In the capture phase: Next.js's Link takes the click (preventDefault) before it bubbles here.
    const clicked = (event: MouseEvent) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = event.target instanceof Element ? event.target.closest('a') : null;
      if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
      if (link.origin !== window.location.origin || link.pathname === window.location.pathname) return;
      setOpening(true);
    };
    document.addEventListener('click', clicked, true);
    return () => document.removeEventListener('click', clicked, true);
  }, []);
  return (
    <div role="status" className="vigil-navigation-pending">
      {opening && (
        <Text size="1" color="gray" className="vigil-navigation-pending-notice" data-testid="navigation-pending">
          <Spinner size="1" />
          Opening…
        </Text>
      )}
    </div>
  );
}
