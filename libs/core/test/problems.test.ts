/**
 * The problem catalogue: every answer of the API, whoever gives it (a handler, the local gateway,
 * API Gateway as the template deploys it), takes its kind from here, so a type's title is the same
 * for every occurrence, as openapi.yaml promises, and a client that shows it says one thing per type.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiKeyNotFoundError,
  BulkJobNotFoundError,
  ConcurrentChangeError,
  MessageNotFoundError,
  NotificationEndpointNotFoundError,
} from '../src/errors';
import { revokeApiKey } from '../src/tenancy/keys';
import { methodNotAllowed, PROBLEMS, problemDocument, problemType } from '../src/problems';
import { QuotaExceededError } from '../src/usage';

/** Each type's titles, as every entry of the catalogue (and each 405 it makes) answers it. */
const titlesByType = (kinds: readonly { slug: string; title: string }[]): Record<string, string[]> => {
  const titles: Record<string, Set<string>> = {};
  for (const { slug, title } of kinds) (titles[slug] ??= new Set()).add(title);
  return Object.fromEntries(Object.entries(titles).map(([slug, set]) => [slug, [...set]]));
};

describe('the problem catalogue', () => {
  it('answers each problem type with one title, whichever refusal of that type it is', () => {
    const answered = titlesByType([...Object.values(PROBLEMS), methodNotAllowed('GET', 'POST')]);
    const several = Object.entries(answered).filter(([, titles]) => titles.length > 1);
    expect(several).toEqual([]);
  });

  it('says what differs between refusals of one type in the detail: which thing is not found, why a quota is used up', () => {
    const notFound = [
      new MessageNotFoundError('msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M'),
      new ApiKeyNotFoundError('API key key_1 does not exist.'),
      new BulkJobNotFoundError('job_01JD8X4Q2Z7N5V3K9W6T0RYB1M'),
    ];
    expect(new Set(notFound.map((error) => error.title))).toEqual(new Set(['Not found']));
    expect(notFound.map((error) => error.message)).toEqual([
      'Message msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M does not exist.',
      'API key key_1 does not exist.',
      'Job job_01JD8X4Q2Z7N5V3K9W6T0RYB1M does not exist.',
    ]);
    expect(
      new ConcurrentChangeError('Message msg_1 changed while this request ran; try again.', { sendAgain: true }),
    ).toMatchObject({ type: 'state-conflict', title: PROBLEMS.stateConflict.title });
    expect(PROBLEMS.quotaExceeded.detail).toContain('message quota');
    expect(PROBLEMS.requestQuotaExceeded.detail).toContain('request quota');
    expect(QuotaExceededError.monthly(100, 100, 1, Date.UTC(2026, 11, 7)).title).toBe(
      PROBLEMS.requestQuotaExceeded.title,
    );
  });

  it('writes a document with the type as a URI, the title of its type and the detail the refusal gives', () => {
    expect(problemDocument(PROBLEMS.bulkJobNotFound, 'req_1', 'Job job_1 does not exist.')).toEqual({
      type: problemType(PROBLEMS.messageNotFound),
      title: 'Not found',
      status: 404,
      detail: 'Job job_1 does not exist.',
      requestId: 'req_1',
    });
  });
});

describe("a 404 for an id from the request's path", () => {
  it('quotes at most 60 characters of an id longer than any, and its length, where it echoed a 15,000-character one whole', async () => {
    const long = (prefix: string) => `${prefix}_${'A'.repeat(15_000)}`;
    const quoted = (id: string) => `${id.slice(0, 60)}… (15,004 characters)`;

    expect(new BulkJobNotFoundError(long('job')).message).toBe(`Job ${quoted(long('job'))} does not exist.`);
    expect(new NotificationEndpointNotFoundError(long('nep')).message).toBe(
      `Notification endpoint ${quoted(long('nep'))} does not exist.`,
    );
    // A key id no key can have is looked up nowhere.
    await expect(revokeApiKey({} as Parameters<typeof revokeApiKey>[0], 'tnt_a', long('key'), 'key_b')).rejects.toThrow(
      `API key ${quoted(long('key'))} does not exist.`,
    );
  });
});
