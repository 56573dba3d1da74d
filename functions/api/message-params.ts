import { MESSAGE_ID_PATTERN, MessageNotFoundError } from '@vigil/core';

/** The `{messageId}` path parameter; anything not shaped like an id cannot exist: 404. */
export const messageIdParam = (params: Record<string, string>): string => {
  const id = params.messageId ?? '';
  if (!MESSAGE_ID_PATTERN.test(id)) throw new MessageNotFoundError(id, { notAnId: true });
  return id;
};
