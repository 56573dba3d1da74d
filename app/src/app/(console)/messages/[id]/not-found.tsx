import { Button, Flex, Heading, Text } from '@radix-ui/themes';
import NextLink from 'next/link';

export default function MessageNotFound() {
  return (
    <Flex direction="column" gap="3" align="start">
      <Heading as="h1" size="6">
        No such message
      </Heading>
      <Text color="gray">There is no message with that id in your account. Check the id and try again.</Text>
      <Button asChild variant="soft">
        <NextLink href="/messages">All messages</NextLink>
      </Button>
    </Flex>
  );
}
