import { Card, Flex, Skeleton } from '@radix-ui/themes';

/**
 * A page's outline while its data loads (each section's loading.tsx), told to a screen reader as a
 * status named "Loading" (a name needs a role: on a bare div axe refuses aria-label, serious).
 */
export function PageSkeleton() {
  return (
    <Flex direction="column" gap="4" role="status" aria-busy="true" aria-label="Loading">
      <Skeleton width="180px" height="32px" />
      <Card size="2">
        <Flex direction="column" gap="3">
          <Skeleton height="20px" />
          <Skeleton height="20px" />
          <Skeleton height="20px" width="70%" />
        </Flex>
      </Card>
    </Flex>
  );
}
