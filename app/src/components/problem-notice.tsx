import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Flex, Heading, Text } from '@radix-ui/themes';
import { problemWords } from '@/lib/problem-words';
import type { Problem } from '@/lib/types';
import { RetryButton } from './retry-button';
import { RenewsAt } from './timestamp';

/**
 * An API problem, said in words on the page (never raw JSON, never a blank page): what is wrong,
 * what still works and what to do, with a button to try again when that is the thing to do: the
 * page read again, or `onRetry` for a part of it read on its own (the message page's body).
 */
export function ProblemNotice({
  problem,
  heading,
  onRetry,
}: {
  problem: Problem;
  heading?: string;
  onRetry?: () => void;
}) {
  const { title, detail, retry } = problemWords(problem, 'page');
  return (
    <Flex direction="column" gap="3">
      {heading && (
        <Heading as="h1" size="6">
          {heading}
        </Heading>
      )}
      <Callout.Root color="red" role="alert" data-testid="problem-notice">
        <Callout.Icon>
          <ExclamationTriangleIcon />
        </Callout.Icon>
        <Callout.Text>
          <Text weight="bold">{title}.</Text> {detail}
          {problem.renewsAt && (
            <>
              {' '}
              <RenewsAt iso={problem.renewsAt} />
            </>
          )}
        </Callout.Text>
      </Callout.Root>
      {retry && (
        <Flex>
          <RetryButton onRetry={onRetry} />
        </Flex>
      )}
    </Flex>
  );
}
