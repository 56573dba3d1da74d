/**
 * What the message page shows beside the message: its attempts and its body as sent, each a
 * request of its own (the body up to 256 KiB). The page reads itself again every second while the
 * message is on its way, and most of those reads find nothing changed: the message is waiting for
 * its time or its next try. So the parts are kept, in the console's server, with the message as it
 * was answered just before they were read, and read again only once the message answers otherwise.
 *
 * Why the whole message and not `updatedAt` alone: each process stamps `updatedAt` by its own clock,
 * so two writes in one millisecond (a worker's and a PATCH) could leave it as it was. Every write
 * of the message changes its answer (`updatedAt`, the status, the attempt count, the body's
 * values...), and the parts depend on any of them: the body on a PATCH, the attempts on a new
 * attempt and on a PATCH too (an attempt lists the headers it sent only while the message still
 * sends what it sent). Its `callbacks` are left out: their statuses are other messages', read
 * beside it, and change nothing here.
 *
 * The message is read with a consistent read, and the parts after it: they are at least as new as
 * the answer they are kept with. Parts newer than it are read again on the next refresh, since the
 * message then answers otherwise.
 */
import { createHash } from 'node:crypto';
import type { AttemptList, Message } from './types';
import { LIVE_STATUSES } from './types';

/** The message's attempts and its body's text as sent (undefined: it has none). */
export interface MessageParts {
  attempts: AttemptList;
  bodyText: string | undefined;
}

/** The message as it was answered, but for its callbacks' statuses, as a digest: any write to it changes this. */
export const messageMark = (message: Message): string => {
  const { callbacks: _callbacks, ...own } = message;
  return createHash('sha256').update(JSON.stringify(own)).digest('base64url');
};

/**
 * A body's text as a short digest: the message page names its body by it, and the browser reads the
 * body again only when it changes (message-body.ts). Its text as the API answers it, byte for byte.
 */
export const bodyDigest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 22);

interface Kept {
  /** The mark of the message the parts were read after (none: the parts were read beside it, not kept). */
  mark?: string;
  parts?: MessageParts;
  /** About what it holds in memory, in characters (the body and the attempts as JSON). */
  size: number;
}

/** How much the console's server keeps: a few pages' worth, the least recently used first to go. */
export interface KeptPartsLimits {
  messages: number;
  chars: number;
}

/** 64 messages, 16 M characters: every body at its 256 KiB with its 50 attempts would be fewer messages. */
export const KEPT_PARTS_LIMITS: KeptPartsLimits = { messages: 64, chars: 16_000_000 };

/**
 * The parts read for messages on their way, by message id, each with the mark of the message it was
 * read after. Handed back only for a message answered exactly so: the reader's own read of the
 * message came first, so it sees only what it may read.
 */
export class KeptMessageParts {
  private readonly kept = new Map<string, Kept>();
  private size = 0;

  constructor(private readonly limits: KeptPartsLimits = KEPT_PARTS_LIMITS) {}

  /** Whether the message's page was read here while it was on its way (and not forgotten since). */
  watched(id: string): boolean {
    return this.kept.has(id);
  }

  /** The parts kept for this very message (undefined: read them, the message is not as they were read after). */
  partsFor(message: Message): MessageParts | undefined {
    const kept = this.kept.get(message.id);
    if (kept?.mark === undefined || kept.parts === undefined || kept.mark !== messageMark(message)) return undefined;
    // Used again: the last to go.
    this.kept.delete(message.id);
    this.kept.set(message.id, kept);
    return kept.parts;
  }

  /** Notes a message on its way whose page was read (its parts read beside it): its next read keeps them. */
  watch(message: Message): void {
    this.put(message, { size: 0 });
  }

  /**
   * Keeps the parts read after `message` was answered, while it is on its way: its page reads itself
   * again, and a finished one's does not.
   */
  keep(message: Message, parts: MessageParts): void {
    const size = (parts.bodyText?.length ?? 0) + JSON.stringify(parts.attempts).length;
    this.put(message, { mark: messageMark(message), parts, size });
  }

  /** How many messages are kept (watched or with their parts). */
  get count(): number {
    return this.kept.size;
  }

  private put(message: Message, kept: Kept): void {
    this.drop(message.id);
    if (!LIVE_STATUSES.includes(message.status) || kept.size > this.limits.chars) return;
    this.kept.set(message.id, kept);
    this.size += kept.size;
    for (const [id] of this.kept) {
      if (this.kept.size <= this.limits.messages && this.size <= this.limits.chars) break;
      this.drop(id);
    }
  }

  private drop(id: string): void {
    const kept = this.kept.get(id);
    if (kept === undefined) return;
    this.kept.delete(id);
    this.size -= kept.size;
  }
}

/** How the page reads a message and its parts. */
export interface MessageReads {
  message: () => Promise<Message>;
  parts: () => Promise<MessageParts>;
}

/**
 * A message and its parts. A page read first here reads all three at once, as fast as it can show:
 * parts read beside the message may be older than it, so they are not kept, and the message is only
 * noted as watched. A page read again (a refresh) reads the message first, then the parts only if
 * it answers otherwise than when they were kept, and keeps the parts it read.
 */
export const readMessageWithParts = async (
  kept: KeptMessageParts,
  id: string,
  read: MessageReads,
): Promise<{ message: Message; parts: MessageParts }> => {
  if (!kept.watched(id)) {
    const [message, parts] = await Promise.all([read.message(), read.parts()]);
    kept.watch(message);
    return { message, parts };
  }
  const message = await read.message();
  const known = kept.partsFor(message);
  if (known !== undefined) return { message, parts: known };
  const parts = await read.parts();
  kept.keep(message, parts);
  return { message, parts };
};
