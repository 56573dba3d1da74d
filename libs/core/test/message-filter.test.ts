import { describe, expect, it } from 'vitest';
import type { MessageFilter } from '../src';
import {
  decodeListCursor,
  derivedMessageId,
  encodeListCursor,
  fieldErrors,
  idRangeOf,
  ID_TIME_SLACK_MS,
  listMessages,
  matchesFilter,
  MessageFilterSchema,
  MessageIn,
  MessageListQuery,
  messageBytes,
  newMessageId,
  toMessageFilterOut,
  ValidationError,
} from '../src';
import { MemoryStore } from './memory-ports';
import { aMessage } from '../../../test-support/messages';

const errorsOf = (schema: typeof MessageListQuery | typeof MessageFilterSchema | typeof MessageIn, input: unknown) => {
  const result = schema.safeParse(input);
  return result.success ? [] : fieldErrors(result.error);
};

const T0 = Date.parse('2026-12-01T00:00:00Z');

describe('MessageListQuery', () => {
  describe('parsing a query string', () => {
    it('reads statuses as a comma list, ranges as instants, and id text as ids are written', () => {
      // Act
      const query = MessageListQuery.parse({
        status: 'failed, retrying',
        label: 'billing',
        urlPrefix: 'https://api.example.com/',
        sendAtFrom: '2026-12-01T00:00:00Z',
        sendAtTo: '2026-12-02T01:00:00+01:00',
        createdAtFrom: '2026-11-30T00:00:00.500Z',
        updatedSince: '2026-12-01T01:00:00+01:00',
        idContains: 'msg_01jdx',
        limit: '50',
      });
      // Assess
      expect(query).toEqual({
        filter: {
          status: ['failed', 'retrying'],
          label: 'billing',
          urlPrefix: 'https://api.example.com/',
          sendAtFrom: T0,
          sendAtTo: T0 + 86_400_000,
          createdAtFrom: T0 - 86_400_000 + 500,
          updatedSince: T0,
          idContains: 'msg_01JDX',
        },
        limit: 50,
      });
    });

    it('has an empty filter and a page of 20 when given nothing', () => {
      expect(MessageListQuery.parse({})).toEqual({ filter: {}, limit: 20 });
    });

    it('takes who made the messages as a comma list, and finds by it', () => {
      expect(MessageListQuery.parse({ origin: 'message' }).filter).toEqual({ origin: ['message'] });
      expect(MessageFilterSchema.parse({ origin: ['callback', 'notification'] })).toEqual({
        origin: ['callback', 'notification'],
      });
      expect(errorsOf(MessageListQuery, { origin: 'message,robot' })).toEqual([
        { path: 'origin.1', message: 'each origin must be one of message, callback, notification' },
      ]);
      const own = aMessage({}, T0);
      const callback = aMessage({ origin: { kind: 'callback', messageId: own.id, round: 0, event: 'failed' } }, T0);
      expect(matchesFilter(own, { origin: ['message'] })).toBe(true);
      expect(matchesFilter(callback, { origin: ['message'] })).toBe(false);
      expect(matchesFilter(callback, { origin: ['callback', 'message'] })).toBe(true);
    });

    it('takes a page size written in digits only, from 1 to 100', () => {
      expect(MessageListQuery.parse({ limit: '100' }).limit).toBe(100);
      const whole = [{ path: 'limit', message: 'must be a whole number from 1 to 100' }];
      for (const limit of ['1e1', '0x10', ' 5', '', '5.0', '-1'])
        expect(errorsOf(MessageListQuery, { limit })).toEqual(whole);
      expect(errorsOf(MessageListQuery, { limit: '0' })[0]?.path).toBe('limit');
      expect(errorsOf(MessageListQuery, { limit: '101' })[0]?.path).toBe('limit');
    });

    it('names each bad field: an unknown status, a label with a comma, a time that is not one', () => {
      const errors = errorsOf(MessageListQuery, {
        status: 'failed,lost',
        label: 'a,b',
        createdAtFrom: 'yesterday',
        idContains: 'msg-01',
        colour: 'red',
      });
      expect(errors.map((e) => e.path).sort()).toEqual(['colour', 'createdAtFrom', 'idContains', 'label', 'status.1']);
      expect(errors.find((e) => e.path === 'createdAtFrom')?.message).toMatch(/RFC 3339/);
    });

    it('names the end of a range that ends before it starts', () => {
      const errors = errorsOf(MessageListQuery, {
        sendAtFrom: '2026-12-02T00:00:00Z',
        sendAtTo: '2026-12-01T00:00:00Z',
      });
      expect(errors).toEqual([{ path: 'sendAtTo', message: 'must be after sendAtFrom' }]);
    });

    it("says an offset's + read as a space (unencoded in a query string) is to be written %2B", () => {
      expect(errorsOf(MessageListQuery, { sendAtFrom: '2026-12-01T10:00:00 01:00' })).toEqual([
        {
          path: 'sendAtFrom',
          message:
            "has a space where its offset's + should be: a query string reads + as a space, so write it as %2B (2026-12-01T10:00:00%2B01:00), or give the instant in UTC with Z",
        },
      ]);
      expect(errorsOf(MessageListQuery, { updatedSince: '2026-12-01T10:00:00.250 14:00' })).toEqual([
        { path: 'updatedSince', message: expect.stringContaining('(2026-12-01T10:00:00.250%2B14:00)') },
      ]);
      expect(MessageListQuery.parse({ createdAtFrom: '2026-12-01T10:00:00+14:00' })).toMatchObject({
        filter: { createdAtFrom: Date.parse('2026-11-30T20:00:00Z') },
      });
    });

    it('refuses an empty range (to equal to from) and a time without an offset', () => {
      const paths = errorsOf(MessageListQuery, {
        createdAtFrom: '2026-12-01T00:00:00Z',
        createdAtTo: '2026-12-01T00:00:00Z',
        sendAtFrom: '2026-12-01T00:00:00',
      }).map((e) => e.path);
      expect(paths.sort()).toEqual(['createdAtTo', 'sendAtFrom']);
    });
  });

  it('is the same filter a bulk job takes from a JSON body, statuses as an array', () => {
    expect(
      MessageFilterSchema.parse({ status: ['failed'], label: 'billing', createdAtFrom: '2026-12-01T00:00:00Z' }),
    ).toEqual({ status: ['failed'], label: 'billing', createdAtFrom: T0 });
    expect(errorsOf(MessageFilterSchema, { limit: 5 }).map((e) => e.path)).toEqual(['limit']);
  });

  it('shows a filter as given (instants as RFC 3339), which parses back to the same filter', () => {
    const filter = MessageFilterSchema.parse({
      status: 'failed',
      sendAtTo: '2026-12-02T00:00:00+01:00',
      updatedSince: '2026-12-01T00:00:00Z',
    });
    const shown = toMessageFilterOut(filter);
    expect(shown).toEqual({
      status: ['failed'],
      sendAtTo: '2026-12-01T23:00:00.000Z',
      updatedSince: '2026-12-01T00:00:00.000Z',
    });
    expect(MessageFilterSchema.parse(shown)).toEqual(filter);
  });
});

describe('matchesFilter', () => {
  it('selects by updatedSince: changed at or after the instant', () => {
    const m = {
      id: newMessageId(T0),
      status: 'failed' as const,
      url: 'https://e.com',
      sendAt: T0,
      createdAt: T0,
      updatedAt: T0 + 5,
    };
    expect(matchesFilter(m, { status: ['failed'], updatedSince: T0 + 5 })).toBe(true);
    expect(matchesFilter(m, { status: ['failed'], updatedSince: T0 + 6 })).toBe(false);
  });
});

describe('labels on a message', () => {
  it('takes up to ten distinct labels of the safe characters', () => {
    const labels = Array.from({ length: 10 }, (_, i) => `team:${i}/eu-west_1.a`);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, labels })).toEqual([]);
  });

  it('names the field and the limit for eleven labels, a repeated one or a bad character', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `l${i}`);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, labels: eleven })).toEqual([
      { path: 'labels', message: 'at most 10 labels' },
    ]);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, labels: ['a', 'a'] })[0]?.path).toBe('labels');
    const bad = errorsOf(MessageIn, { url: 'https://e.com', delay: 1, labels: ['ok', 'not ok', 'x'.repeat(65), ''] });
    expect(bad.map((e) => e.path)).toEqual(['labels.1', 'labels.2', 'labels.3']);
    expect(bad[0]?.message).toMatch(/1 to 64 letters, digits and/);
  });

  it('count toward the message size', () => {
    const parts = { url: 'https://e.com', body: '', headers: {}, metadata: {} };
    expect(messageBytes({ ...parts, labels: ['billing', 'eu'] }) - messageBytes(parts)).toBe(9);
  });
});

describe('idRangeOf', () => {
  const filter: MessageFilter = { createdAtFrom: T0, createdAtTo: T0 + 60_000 };

  it('reads the ids made from a createdAt range, with the slack event deliveries need around it', () => {
    const range = idRangeOf(filter);
    const idAt = (ms: number) => derivedMessageId(ms, String(ms));
    const inside = [idAt(T0), idAt(T0 + 59_999), idAt(T0 - ID_TIME_SLACK_MS)];
    const outside = [idAt(T0 - ID_TIME_SLACK_MS - 1), idAt(T0 + 60_000 + ID_TIME_SLACK_MS + 1)];
    for (const id of inside) expect(id >= range!.from && id <= range!.to, id).toBe(true);
    for (const id of outside) expect(id >= range!.from && id <= range!.to, id).toBe(false);
  });

  it('starts after a next cursor and before a previous one, excluding the cursor id itself', () => {
    const [a, b, c] = [newMessageId(T0), newMessageId(T0 + 1), newMessageId(T0 + 2)];
    const next = idRangeOf({}, { direction: 'next', id: b })!;
    expect([a, b, c].filter((id) => id >= next.from && id <= next.to)).toEqual([a]);
    const previous = idRangeOf({}, { direction: 'previous', id: b })!;
    expect([a, b, c].filter((id) => id >= previous.from && id <= previous.to)).toEqual([c]);
  });

  it('is empty when an id prefix lies outside the createdAt range', () => {
    expect(idRangeOf({ ...filter, idContains: 'msg_7' })).toBeUndefined();
  });
});

describe('list cursors', () => {
  it('round-trip both directions', () => {
    const id = newMessageId(T0);
    for (const direction of ['next', 'previous'] as const) {
      expect(decodeListCursor(encodeListCursor({ direction, id }), 'tnt_a')).toEqual({ direction, id });
    }
  });

  it('still read a cursor handed out before paging went both ways', () => {
    const id = newMessageId(T0);
    const old = Buffer.from(JSON.stringify({ pk: 'T#tnt_a', sk: `M#${id}`, statusPk: 'T#tnt_a#failed' })).toString(
      'base64url',
    );
    expect(decodeListCursor(old, 'tnt_a')).toEqual({ direction: 'next', id });
  });

  it("refuse a cursor of the earlier format that names another tenant's partitions", () => {
    const id = newMessageId(T0);
    const named = (fields: Record<string, string>) =>
      Buffer.from(JSON.stringify({ sk: `M#${id}`, ...fields })).toString('base64url');
    expect(decodeListCursor(named({ pk: 'T#tnt_a#3', statusPk: 'T#tnt_a#failed#3' }), 'tnt_a')).toEqual({
      direction: 'next',
      id,
    });
    for (const cursor of [
      named({ pk: 'T#tnt_b' }),
      named({ pk: 'T#tnt_b', statusPk: 'T#tnt_b#failed' }),
      named({ pk: 'T#tnt_a', statusPk: 'T#tnt_b#failed' }),
      named({ pk: 'T#tnt_ab' }),
      named({ pk: 'tnt_a' }),
      named({}),
    ]) {
      expect(() => decodeListCursor(cursor, 'tnt_a')).toThrow(ValidationError);
    }
  });

  it('refuse anything else as a 422 naming the cursor', () => {
    const forged = Buffer.from(JSON.stringify({ n: 'M#x' })).toString('base64url');
    for (const cursor of ['garbage!', forged, Buffer.from('[1]').toString('base64url')]) {
      expect(() => decodeListCursor(cursor, 'tnt_a')).toThrow(ValidationError);
      try {
        decodeListCursor(cursor, 'tnt_a');
      } catch (error) {
        expect((error as ValidationError).errors).toEqual([
          { path: 'query.cursor', message: 'is not a cursor returned by this listing' },
        ]);
      }
    }
  });
});

describe('listMessages', () => {
  it('turns a short previous page at the top of the listing into the full first page', async () => {
    // Prepare: five messages; the first page of two, then the next one.
    const store = new MemoryStore(() => T0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const id = newMessageId(T0 + i);
      ids.unshift(id);
      await store.insert(
        aMessage({ id, url: 'https://e.com', body: '', bodyKind: 'none', sendAt: T0, dueAt: T0 }, T0 + i),
      );
    }
    // Act: back from the page that starts at the second message.
    const previousCursor = encodeListCursor({ direction: 'previous', id: ids[1] as string });
    const page = await listMessages(store, 'tnt_a', { limit: 2, cursor: previousCursor });
    // Assess: the first page, as it was, without a way further back.
    expect(page.items.map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect(page.previousCursor).toBeUndefined();
    expect(page.nextCursor).toBeDefined();
  });
});
