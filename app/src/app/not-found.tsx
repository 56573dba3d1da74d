import { Button, Flex, Heading, Text } from '@radix-ui/themes';
import NextLink from 'next/link';

export default function NotFound() {
  return (
    <Flex direction="column" gap="3" align="center" justify="center" minHeight="80vh" p="4">
      <Heading size="6">Page not found</Heading>
      <Text color="gray">There is nothing at this address.</Text>
      <Button asChild variant="soft">
        <NextLink href="/">Go to the overview</NextLink>
      </Button>
    </Flex>
  );
}
