'use client';

import { MoonIcon, SunIcon } from '@radix-ui/react-icons';
import { IconButton, Tooltip } from '@radix-ui/themes';
import { useTheme } from 'next-themes';
import { useInBrowser } from '@/lib/use-now';

export function ThemeToggle() {
  const { resolvedTheme, setTheme } = useTheme();
  // The theme is known only in the browser; render a neutral button until then.
  const dark = useInBrowser() && resolvedTheme === 'dark';
  const label = dark ? 'Switch to light theme' : 'Switch to dark theme';
  return (
    <Tooltip content={label}>
      <IconButton variant="ghost" color="gray" aria-label={label} onClick={() => setTheme(dark ? 'light' : 'dark')}>
        {dark ? <SunIcon /> : <MoonIcon />}
      </IconButton>
    </Tooltip>
  );
}
