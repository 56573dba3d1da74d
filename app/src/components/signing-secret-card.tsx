'use client';

import { EyeClosedIcon, EyeOpenIcon } from '@radix-ui/react-icons';
import { Callout, Code, Flex, IconButton, Text, Tooltip } from '@radix-ui/themes';
import { useState } from 'react';
import { rotateSigningSecret } from '@/lib/actions';
import { absoluteTime, maskedSecret } from '@/lib/format';
import { CopyButton } from './copy-button';
import { KeyedConfirmButton } from './keyed-confirm-button';
import { SectionCard } from './section-card';

/** The tenant's signing secret: masked until revealed, copyable, and rotated with a 24 h overlap. */
export function SigningSecretCard({ secret: read }: { secret: string }) {
  const [revealed, setRevealed] = useState(false);
  const [rotated, setRotated] = useState<{ secret: string; previousValidUntil: string } | undefined>();
  // The rotation's own answer, not a read of the page that may have raced it.
  const secret = rotated?.secret ?? read;
  const rotatedUntil = rotated?.previousValidUntil;
  return (
    <SectionCard title="Signing secret">
      <Text size="2" color="gray">
        Every webhook carries Standard Webhooks headers signed with this secret; verify them with any Standard Webhooks
        library before you trust a request.
      </Text>
      <Flex align="center" gap="2" wrap="wrap">
        <Code size="3" className="vigil-mono" data-testid="signing-secret">
          {revealed ? secret : maskedSecret(secret)}
        </Code>
        <Tooltip content={revealed ? 'Hide' : 'Reveal'}>
          <IconButton
            variant="ghost"
            color="gray"
            aria-label={revealed ? 'Hide the signing secret' : 'Reveal the signing secret'}
            onClick={() => setRevealed(!revealed)}
          >
            {revealed ? <EyeClosedIcon /> : <EyeOpenIcon />}
          </IconButton>
        </Tooltip>
        <CopyButton value={secret} label="Copy secret" />
      </Flex>
      {rotatedUntil && (
        <Callout.Root color="grass" role="status">
          <Callout.Text>
            Rotated. Until {absoluteTime(rotatedUntil)}, deliveries are signed with both the new and the previous
            secret, so update your receivers before then.
          </Callout.Text>
        </Callout.Root>
      )}
      <Flex>
        <KeyedConfirmButton
          keyFor="rotate-secret"
          label="Rotate secret"
          color="amber"
          title="Rotate the signing secret?"
          description="A new secret signs every delivery from now on. For the next 24 hours each delivery also carries a signature made with the current secret, so receivers that still have it keep accepting webhooks while you update them."
          confirmLabel="Rotate"
          action={(key) => rotateSigningSecret(key)}
          onDone={(data) => {
            setRotated(data);
            setRevealed(false);
          }}
        />
      </Flex>
    </SectionCard>
  );
}
