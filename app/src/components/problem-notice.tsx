import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Flex, Heading, Text } from '@radix-ui/themes';
import { problemWords, readAgainAfterS } from '@/lib/problem-words';
import type { Problem } from '@/lib/types';
import { ReadsItselfAgain } from './reads-itself-again';
import { RetryButton } from './retry-button';
import { RenewsAt } from './timestamp';

/**
 * An API problem, said in words on the page (never raw JSON, never a blank page): what is wrong,
 * what still works and what to do, with a button to try again when that is the thing to do: the
 * page read again, or `onRetry` for a part of it read on its own (the message page's body).
 * On a page that reads itself while things move (`readsItself`: a message on its way, the list),
 * the page goes on reading itself after such a problem, once `Retry-After` has passed (bounded,
 * readAgainAfterS), then less often while it is refused again (ReadsItselfAgain), and says so: a
 * person watching a message on a bad day does not see it frozen, and Vigil is not asked every 5 s for good.
 */
export function ProblemNotice({
  problem,
  heading,
  onRetry,
  readsItself = false,
}: {
  problem: Problem;
  heading?: string;
  onRetry?: () => void;
  readsItself?: boolean;
}) {
  const { title, detail, retry } = problemWords(problem, 'page');
  const againAfterS = readsItself ? readAgainAfterS(problem) : undefined;
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
          {againAfterS !== undefined && <ReadsItselfAgain firstS={againAfterS} />}
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
