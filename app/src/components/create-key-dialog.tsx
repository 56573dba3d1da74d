'use client';

import { ExclamationTriangleIcon, PlusIcon } from '@radix-ui/react-icons';
import { Button, Callout, Code, Dialog, Flex, Text, TextField } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { createApiKey, revokeApiKey } from '@/lib/actions';
import { isLocalApi, quickstartCurl } from '@/lib/format';
import type { ActionFailure, ApiKeyNotShown } from '@/lib/types';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import { CopyButton } from './copy-button';
import { DialogFooter } from './dialog-footer';
import { ErrorCallout } from './notices';
import { FieldLabel } from './field-label';
import { LocalReceiverNote } from './local-receiver-note';

/**
 * Create a key: name it, then see its secret once, with a copy button and a clear warning. The
 * create carries an Idempotency-Key made when the dialog opens, so "Create key" again after an
 * answer that came too late makes no second key; that repeat cannot show the first key's secret
 * (Vigil keeps its hash only), so the dialog names the key and offers to revoke it.
 */
export function CreateKeyDialog({ apiUrl }: { apiUrl: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | undefined>();
  const [notShown, setNotShown] = useState<ApiKeyNotShown | undefined>();
  const [error, setError] = useState<string | ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  const [key, renewKey] = useIdempotencyKey('create-key');
  /** Asked before a shown secret goes: a stray click outside or Escape must not lose it. */
  const [confirmingClose, setConfirmingClose] = useState(false);

  const reset = () => {
    setName('');
    setSecret(undefined);
    setNotShown(undefined);
    setError(undefined);
    setConfirmingClose(false);
  };
  /** Outside clicks and Escape close the dialog only before there is a secret to lose. */
  const guard = (event: Event) => {
    if (secret === undefined) return;
    event.preventDefault();
    setConfirmingClose(true);
  };

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) renewKey();
        if (!next) {
          reset();
          router.refresh();
        }
      }}
    >
      <Dialog.Trigger>
        <Button>
          <PlusIcon /> Create key
        </Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="520px" onEscapeKeyDown={guard} onPointerDownOutside={guard} onInteractOutside={guard}>
        <Dialog.Title>{secret ? 'Your new API key' : 'Create an API key'}</Dialog.Title>
        {notShown && secret === undefined ? (
          <KeyNotShown
            apiKey={notShown}
            onRevoked={() => {
              // Revoked: a create from here is a new key, with a new Idempotency-Key.
              setNotShown(undefined);
              renewKey();
              router.refresh();
            }}
          />
        ) : secret ? (
          <Flex direction="column" gap="3">
            <Callout.Root color="amber" highContrast role="alert">
              <Callout.Icon>
                <ExclamationTriangleIcon />
              </Callout.Icon>
              <Callout.Text>
                Copy this key now and keep it somewhere safe. Vigil stores only its hash and cannot show it again.
              </Callout.Text>
            </Callout.Root>
            <Code size="3" className="vigil-mono" data-testid="new-key-secret">
              {secret}
            </Code>
            <Flex justify="end">
              <CopyButton value={secret} label="Copy key" />
            </Flex>
            <Text size="2" weight="medium">
              Try it: schedule a webhook 10 seconds from now
            </Text>
            <pre className="vigil-pre" data-testid="new-key-curl">
              {quickstartCurl(apiUrl, secret)}
            </pre>
            {isLocalApi(apiUrl) && <LocalReceiverNote size="1" />}
            {confirmingClose ? (
              <Callout.Root color="red" role="alert" data-testid="confirm-close">
                <Callout.Text>You will not see this key again. Close anyway?</Callout.Text>
                <Flex gap="3" justify="end">
                  <Button variant="soft" color="gray" size="1" onClick={() => setConfirmingClose(false)}>
                    Keep it open
                  </Button>
                  <Dialog.Close>
                    <Button color="red" highContrast size="1">
                      Close, I have copied it
                    </Button>
                  </Dialog.Close>
                </Flex>
              </Callout.Root>
            ) : (
              <Flex gap="3" justify="end">
                <CopyButton value={quickstartCurl(apiUrl, secret)} label="Copy command" />
                <Dialog.Close>
                  <Button variant="soft" color="gray" size="1">
                    Done
                  </Button>
                </Dialog.Close>
              </Flex>
            )}
          </Flex>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              startTransition(async () => {
                const result = await createApiKey(name.trim(), key);
                if (!result.ok) {
                  setError(result);
                  return;
                }
                setError(undefined);
                if ('created' in result.data) setSecret(result.data.created.key);
                else setNotShown(result.data.notShown);
              });
            }}
          >
            <Flex direction="column" gap="3">
              <Dialog.Description size="2" color="gray">
                Name the key after what will use it, so you know what breaks if you revoke it.
              </Dialog.Description>
              <FieldLabel htmlFor="key-name">Name</FieldLabel>
              <TextField.Root
                id="key-name"
                required
                maxLength={100}
                placeholder="billing service"
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
              <ErrorCallout error={error} />
              <DialogFooter
                closeLabel="Cancel"
                submitLabel="Create key"
                pending={pending}
                disabled={name.trim() === ''}
              />
            </Flex>
          </form>
        )}
      </Dialog.Content>
    </Dialog.Root>
  );
}

/**
 * The key an earlier click made, whose secret was in an answer that came too late: shown once, and
 * not again. Nobody may hold it, so the dialog says so and offers to revoke the key.
 */
function KeyNotShown({ apiKey, onRevoked }: { apiKey: ApiKeyNotShown; onRevoked: () => void }) {
  const [error, setError] = useState<string | ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  return (
    <Flex direction="column" gap="3" data-testid="key-not-shown">
      <Callout.Root color="amber" highContrast role="alert">
        <Callout.Icon>
          <ExclamationTriangleIcon />
        </Callout.Icon>
        <Callout.Text>
          Your earlier click made the key <Code>{apiKey.name}</Code> (<Code>{apiKey.prefix}…</Code>), but its answer
          came too late, and its secret was shown in that answer only: Vigil stores only its hash and cannot show it
          again.{' '}
          {apiKey.lastUsedAt
            ? 'It has been used, so someone may hold it: revoke it only if that is not you.'
            : 'It was never used, so nobody may hold it: revoke it, and create another.'}
        </Callout.Text>
      </Callout.Root>
      <ErrorCallout error={error} />
      <Flex gap="3" justify="end">
        <Dialog.Close>
          <Button variant="soft" color="gray">
            Keep it
          </Button>
        </Dialog.Close>
        <Button
          color="red"
          loading={pending}
          onClick={() =>
            startTransition(async () => {
              const result = await revokeApiKey(apiKey.id);
              if (!result.ok) setError(result);
              else onRevoked();
            })
          }
        >
          Revoke it
        </Button>
      </Flex>
    </Flex>
  );
}
