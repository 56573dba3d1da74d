import { Callout, Flex, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import type { ActionFailure } from '@/lib/types';
import { RenewsAt } from './timestamp';

const isFailure = (error: ReactNode | ActionFailure): error is ActionFailure =>
  typeof error === 'object' && error !== null && 'ok' in error;

/**
 * An error, in words, announced to screen readers; nothing when there is none. An action's failure
 * refused for the month's quota says when it renews, in the viewer's zone.
 */
export function ErrorCallout({ error, mt }: { error: ReactNode | ActionFailure | undefined; mt?: '2' | '3' }) {
  if (!error) return null;
  return (
    <Callout.Root color="red" role="alert" mt={mt}>
      <Callout.Text>
        {isFailure(error) ? (
          <>
            {error.error}
            {error.renewsAt && (
              <>
                {' '}
                <RenewsAt iso={error.renewsAt} />
              </>
            )}
          </>
        ) : (
          error
        )}
      </Callout.Text>
    </Callout.Root>
  );
}

/** What a list shows when it has nothing yet, and what to do about it. */
export function EmptyState({ title, hint }: { title: string; hint: ReactNode }) {
  return (
    <Flex direction="column" align="center" gap="2" p="6">
      <Text weight="medium">{title}</Text>
      <Text size="2" color="gray" align="center">
        {hint}
      </Text>
    </Flex>
  );
}
