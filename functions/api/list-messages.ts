import { messageStore } from '@vigil/aws/wiring/messages';
import { listMessages, MessageListQuery, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ query: MessageListQuery }, async ({ tenantId, query }) => {
  const page = await listMessages(messageStore(), tenantId, query);
  return {
    status: 200,
    body: {
      items: page.items.map((m) => toMessageOut(m, { withBody: false })),
      nextCursor: page.nextCursor ?? null,
      previousCursor: page.previousCursor ?? null,
    },
  };
});
