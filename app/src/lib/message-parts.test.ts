/**
 * The message page reads itself every second while its message is on its way: the attempts and the
 * body (up to 256 KiB) are read again only when the message answers otherwise than when they were
 * read, and what the page shows stays what the API says now.
 */
import { describe, expect, it } from 'vitest';
import { KeptMessageParts, type MessageParts, messageMark, readMessageWithParts } from './message-parts';
import type { Message } from './types';

const message = (fields: Partial<Message> = {}): Message =>
  ({
    id: 'msg_01JF00000000000000000000AA',
    status: 'scheduled',
    url: 'https://example.com/hook',
    method: 'POST',
    headers: {},
    sendAt: '2026-12-07T09:00:00.000Z',
    createdAt: '2026-12-07T08:00:00.000Z',
    updatedAt: '2026-12-07T08:00:00.000Z',
    attempts: 0,
    maxAttempts: 5,
    timeoutMs: 10_000,
    metadata: {},
    labels: [],
    body: { b: 1, '1': 2 },
    ...fields,
  }) as Message;

const parts = (bodyText: string | undefined, attempts = 0): MessageParts => ({
  attempts: {
    items: Array.from({ length: attempts }, (_, i) => ({
      n: i + 1,
      startedAt: '2026-12-07T09:00:00.000Z',
      durationMs: 4,
      latenessMs: 1,
    })),
    omitted: 0,
  } as MessageParts['attempts'],
  bodyText,
});

/** An API whose message and parts are set by the test, counting each call the page makes. */
const api = (now: { message: Message; parts: MessageParts }) => {
  const calls = { message: 0, parts: 0 };
  return {
    now,
    calls,
    reads: {
      message: async () => {
        calls.message += 1;
        return now.message;
      },
      parts: async () => {
        calls.parts += 1;
        return now.parts;
      },
    },
  };
};

/** One read of the page, as its server does it. */
const readPage = (kept: KeptMessageParts, server: ReturnType<typeof api>) =>
  readMessageWithParts(kept, server.now.message.id, server.reads);

describe("the message page's reads", () => {
  describe('while the message waits, unchanged', () => {
    it('reads only the message on each refresh after the first two, and shows the body and attempts it read', async () => {
      const server = api({ message: message(), parts: parts('{"b":1,"1":2}') });
      const kept = new KeptMessageParts();

      await readPage(kept, server); // the page's first read: all at once
      await readPage(kept, server); // its first refresh: the message, then the parts, kept
      const shown = [];
      for (let refresh = 0; refresh < 10; refresh += 1) shown.push(await readPage(kept, server));

      expect(server.calls).toEqual({ message: 12, parts: 2 });
      for (const page of shown) {
        expect(page.parts.bodyText).toBe('{"b":1,"1":2}');
        expect(page.parts.attempts.items).toEqual([]);
      }
    });

    it('reads all three at once on its first read, so the page shows as fast as before', async () => {
      const order: string[] = [];
      const kept = new KeptMessageParts();
      let answerMessage = (_: Message) => {};
      const first = readMessageWithParts(kept, message().id, {
        message: () => {
          order.push('message');
          return new Promise((resolve) => (answerMessage = resolve));
        },
        parts: async () => {
          order.push('parts');
          return parts('x');
        },
      });
      // The parts were asked for before the message answered.
      expect(order).toEqual(['message', 'parts']);
      answerMessage(message());
      expect((await first).parts.bodyText).toBe('x');
    });
  });

  describe('once the message changed', () => {
    it('reads the body again after a PATCH that only reorders its names (the same values, a new updatedAt)', async () => {
      const server = api({ message: message(), parts: parts('{"b":1,"1":2}') });
      const kept = new KeptMessageParts();
      await readPage(kept, server);
      await readPage(kept, server);

      server.now.message = message({ updatedAt: '2026-12-07T08:30:00.000Z' });
      server.now.parts = parts('{"1":2,"b":1}');
      const page = await readPage(kept, server);

      expect(page.parts.bodyText).toBe('{"1":2,"b":1}');
      expect(server.calls.parts).toBe(3);
    });

    it('reads the body again after a PATCH stamped the same millisecond as the write before it', async () => {
      const server = api({ message: message(), parts: parts('{"b":1,"1":2}') });
      const kept = new KeptMessageParts();
      await readPage(kept, server);
      await readPage(kept, server);

      // Two processes' clocks: the PATCH's updatedAt is the one already shown.
      server.now.message = message({ body: { b: 2 } });
      server.now.parts = parts('{"b":2}');
      const page = await readPage(kept, server);

      expect(page.parts.bodyText).toBe('{"b":2}');
    });

    it('reads the attempts again when an attempt was made, and the page a refresh later keeps them', async () => {
      const server = api({ message: message({ status: 'queued' }), parts: parts('{}') });
      const kept = new KeptMessageParts();
      await readPage(kept, server);
      await readPage(kept, server);

      server.now.message = message({ status: 'retrying', attempts: 1, updatedAt: '2026-12-07T09:00:00.010Z' });
      server.now.parts = parts('{}', 1);
      const retrying = await readPage(kept, server);
      const later = await readPage(kept, server);

      expect(retrying.parts.attempts.items.map((a) => a.n)).toEqual([1]);
      expect(later.parts.attempts.items.map((a) => a.n)).toEqual([1]);
      expect(server.calls).toEqual({ message: 4, parts: 3 });
    });

    it('keeps nothing of a finished message, whose page no longer reads itself: a later look reads it all', async () => {
      const server = api({ message: message({ status: 'queued' }), parts: parts('{}') });
      const kept = new KeptMessageParts();
      await readPage(kept, server);
      await readPage(kept, server);

      server.now.message = message({ status: 'delivered', attempts: 1, updatedAt: '2026-12-07T09:00:00.010Z' });
      server.now.parts = parts('{}', 1);
      await readPage(kept, server);

      expect(kept.count).toBe(0);
      expect(kept.watched(server.now.message.id)).toBe(false);
    });
  });

  describe('parts read beside the message (its first read)', () => {
    it('are not kept: they may be older than the message answered with them, so the next refresh reads them again', async () => {
      // The first read's parts come from before a PATCH its message read saw.
      const server = api({ message: message({ updatedAt: '2026-12-07T08:30:00.000Z' }), parts: parts('"old"') });
      const kept = new KeptMessageParts();
      const first = await readPage(kept, server);
      expect(first.parts.bodyText).toBe('"old"');

      server.now.parts = parts('"new"');
      const refreshed = await readPage(kept, server);

      expect(refreshed.parts.bodyText).toBe('"new"');
    });
  });

  describe("the message's mark", () => {
    it("leaves out its callbacks' statuses, which are other messages' and change nothing of its own parts", () => {
      const callbacks = [{ id: 'msg_01JF00000000000000000000CB', round: 0 }] as Message['callbacks'];
      const delivered = [{ ...callbacks![0]!, status: 'delivered' }] as Message['callbacks'];
      expect(messageMark(message({ callbacks }))).toBe(messageMark(message({ callbacks: delivered })));
    });

    it('changes with any field of the message: status, attempt count, updatedAt, a header', () => {
      const base = messageMark(message());
      for (const changed of [
        message({ status: 'queued' }),
        message({ attempts: 1 }),
        message({ updatedAt: '2026-12-07T08:00:00.001Z' }),
        message({ headers: { 'x-a': '1' } }),
      ]) {
        expect(messageMark(changed)).not.toBe(base);
      }
    });
  });

  describe('what the server keeps', () => {
    it('keeps at most its number of messages, the least recently read going first', async () => {
      const kept = new KeptMessageParts({ messages: 2, chars: 1_000_000 });
      const a = message({ id: 'msg_01JF00000000000000000000AA' });
      const b = message({ id: 'msg_01JF00000000000000000000BB' });
      const c = message({ id: 'msg_01JF00000000000000000000CC' });
      kept.keep(a, parts('a'));
      kept.keep(b, parts('b'));
      expect(kept.partsFor(a)?.bodyText).toBe('a'); // read again: b is now the oldest
      kept.keep(c, parts('c'));

      expect(kept.count).toBe(2);
      expect(kept.partsFor(b)).toBeUndefined();
      expect(kept.partsFor(a)?.bodyText).toBe('a');
      expect(kept.partsFor(c)?.bodyText).toBe('c');
    });

    it('keeps at most its characters, and never a message bigger than all of them', () => {
      const kept = new KeptMessageParts({ messages: 10, chars: 500 });
      const a = message({ id: 'msg_01JF00000000000000000000AA' });
      const b = message({ id: 'msg_01JF00000000000000000000BB' });
      kept.keep(a, parts('a'.repeat(300)));
      kept.keep(b, parts('b'.repeat(300)));
      expect(kept.partsFor(a)).toBeUndefined();
      expect(kept.partsFor(b)?.bodyText).toHaveLength(300);

      kept.keep(a, parts('a'.repeat(600)));
      expect(kept.partsFor(a)).toBeUndefined();
      expect(kept.partsFor(b)?.bodyText).toHaveLength(300);
    });
  });
});
