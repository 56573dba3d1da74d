import { Card, Flex, Heading } from '@radix-ui/themes';
import type { ReactNode } from 'react';

/** A part of a page: a card under its h2, with an action beside the heading if it has one (copy, a link). */
export function SectionCard({
  title,
  action,
  testId,
  children,
}: {
  title: string;
  action?: ReactNode;
  testId?: string;
  children: ReactNode;
}) {
  const heading = (
    <Heading as="h2" size="3">
      {title}
    </Heading>
  );
  return (
    <Card size="2" data-testid={testId}>
      <Flex direction="column" gap="3">
        {action ? (
          <Flex justify="between" align="center" gap="3" wrap="wrap">
            {heading}
            {action}
          </Flex>
        ) : (
          heading
        )}
        {children}
      </Flex>
    </Card>
  );
}
