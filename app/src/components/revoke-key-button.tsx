'use client';

import { Code } from '@radix-ui/themes';
import { revokeApiKey } from '@/lib/actions';
import { ConfirmButton } from './confirm-button';

export function RevokeKeyButton({ id, name, prefix }: { id: string; name: string; prefix: string }) {
  return (
    <ConfirmButton
      label="Revoke"
      size="1"
      title={`Revoke “${name}”?`}
      description={
        <>
          Requests with <Code>{prefix}…</Code> will be refused from now on. This cannot be undone.
        </>
      }
      confirmLabel="Revoke key"
      action={() => revokeApiKey(id)}
    />
  );
}
