import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Flex, Heading, Text } from '@radix-ui/themes';
import type { Problem } from '@/lib/types';

/** An API problem, said in words on the page (never raw JSON, never a blank page). */
export function ProblemNotice({ problem, heading }: { problem: Problem; heading?: string }) {
  return (
    <Flex direction="column" gap="3">
      {heading && (
        <Heading as="h1" size="6">
          {heading}
        </Heading>
      )}
      <Callout.Root color="red" role="alert">
        <Callout.Icon>
          <ExclamationTriangleIcon />
        </Callout.Icon>
        <Callout.Text>
          <Text weight="bold">{problem.title}.</Text> {problem.detail}
        </Callout.Text>
      </Callout.Root>
    </Flex>
  );
}
