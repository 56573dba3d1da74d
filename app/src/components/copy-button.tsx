'use client';

import { CheckIcon, CopyIcon } from '@radix-ui/react-icons';
import { Button } from '@radix-ui/themes';
import { useState } from 'react';

/** Copies a value to the clipboard and says so for two seconds (`disabled`: the value is not there yet). */
export function CopyButton({ value, label = 'Copy', disabled }: { value: string; label?: string; disabled?: boolean }) {
  const [copied, setCopied] = useState(false);
  const [failed, setFailed] = useState(false);
  return (
    <Button
      variant="soft"
      size="1"
      disabled={disabled}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
          setCopied(true);
          setFailed(false);
          setTimeout(() => setCopied(false), 2000);
        } catch {
          setFailed(true);
        }
      }}
    >
      {copied ? <CheckIcon /> : <CopyIcon />}
      {copied ? 'Copied' : failed ? 'Copy failed: select and copy by hand' : label}
    </Button>
  );
}
