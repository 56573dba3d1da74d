/** Which commands a message allows: one rule, that the API's checks and the console's buttons both follow. */
import { describe, expect, it } from 'vitest';
import type { Message, MessageCommand, MessageStatus } from '../src';
import {
  allowedCommands,
  assertCanCancel,
  assertCanPatch,
  assertCanRedeliver,
  assertCanRetryNow,
  commandStateOf,
  MESSAGE_COMMANDS,
  MESSAGE_STATUSES,
  MessageStateConflictError,
} from '../src';
import { aMessage } from '../../../test-support/messages';

/** Whether the API's check for `command` lets the message through. */
const apiAccepts = (message: Message, command: MessageCommand): boolean => {
  const check: Record<MessageCommand, () => void> = {
    update: () => assertCanPatch(message, ['sendAt']),
    cancel: () => assertCanCancel(message),
    retry: () => assertCanRetryNow(message),
    redeliver: () => assertCanRedeliver(message),
  };
  try {
    check[command]();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(MessageStateConflictError);
    return false;
  }
};

describe('allowedCommands', () => {
  describe('by status', () => {
    it.each<[MessageStatus, MessageCommand[]]>([
      ['scheduled', ['update', 'cancel']],
      ['queued', ['update', 'cancel']],
      ['retrying', ['update', 'cancel', 'retry']],
      ['delivering', []],
      ['delivered', ['redeliver']],
      ['failed', ['redeliver']],
      ['cancelled', []],
    ])('lets a %s message be asked %j', (status, commands) => {
      expect(allowedCommands({ status })).toEqual(commands);
    });

    it('lets a message its worker holds for its flow key turn be cancelled, and nothing else', () => {
      expect(allowedCommands({ status: 'delivering', waitingForTurn: true })).toEqual(['cancel']);
    });

    it("reads whether a stored message waits for its turn from the worker's mark", () => {
      const held = aMessage({ status: 'delivering', flowWaitingSince: Date.parse('2026-11-23T10:00:01Z') });
      expect(commandStateOf(held)).toEqual({ status: 'delivering', waitingForTurn: true });
      expect(commandStateOf(aMessage({ status: 'delivering' }))).toEqual({
        status: 'delivering',
        waitingForTurn: false,
      });
    });
  });

  describe("and the API's checks", () => {
    const messages = [
      ...MESSAGE_STATUSES.map((status) => aMessage({ status })),
      aMessage({ status: 'delivering', flowWaitingSince: Date.parse('2026-11-23T10:00:01Z') }),
    ];

    it.each(messages.map((m) => [m.status + (m.flowWaitingSince ? ' (waiting for its turn)' : ''), m] as const))(
      'accept exactly the commands a %s message is said to allow',
      (_, message) => {
        const allowed = allowedCommands(commandStateOf(message));
        // A cancel of a cancelled message is answered as done, changing nothing: no command to offer.
        const answeredAsDone = (command: MessageCommand) => command === 'cancel' && message.status === 'cancelled';
        for (const command of MESSAGE_COMMANDS) {
          expect(apiAccepts(message, command)).toBe(allowed.includes(command) || answeredAsDone(command));
        }
      },
    );
  });
});
