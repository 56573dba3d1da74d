import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { filterFlags, filterFromOptions, STATUSES } from './filter';

const now = Date.parse('2026-12-02T12:00:00Z');

describe('the filter flags', () => {
  it('give the API filter of the flags set, times as instants', () => {
    expect(
      filterFromOptions(
        {
          status: 'failed,retrying,failed',
          label: 'billing',
          urlPrefix: 'https://api.example.com/',
          idContains: '01jdx',
          createdAfter: '2h',
          sendBefore: '2026-12-24T09:00:00Z',
          updatedSince: '2026-12-01T00:00:00+01:00',
        },
        now,
      ),
    ).toEqual({
      status: ['failed', 'retrying'],
      label: 'billing',
      urlPrefix: 'https://api.example.com/',
      idContains: '01jdx',
      createdAtFrom: '2026-12-02T10:00:00.000Z',
      sendAtTo: '2026-12-24T09:00:00.000Z',
      updatedSince: '2026-11-30T23:00:00.000Z',
    });
    expect(filterFromOptions({}, now)).toEqual({});
  });

  it('refuse a status or origin they do not know, naming it and the ones they do (exit 2)', () => {
    expect(() => filterFromOptions({ status: 'failed,done' }, now)).toThrow(
      expect.objectContaining({
        code: 2,
        message: '--status failed,done: done is not a status',
        hint: 'give a comma list of scheduled, queued, delivering, delivered, retrying, failed, cancelled',
      }),
    );
    expect(() => filterFromOptions({ origin: 'mine,theirs' }, now)).toThrow(
      expect.objectContaining({ message: '--origin mine,theirs: mine, theirs are not origins' }),
    );
  });

  it('refuse a time they cannot read, naming the flag (exit 2)', () => {
    expect(() => filterFromOptions({ sendAfter: 'soon' }, now)).toThrow(
      expect.objectContaining({ code: 2, message: expect.stringMatching(/^--send-after "soon" is not a time/) }),
    );
  });

  it('are given back as flags for the next command, quoted for a shell where needed', () => {
    expect(
      filterFlags({
        status: ['failed', 'retrying'],
        urlPrefix: "https://x.test/it's here",
        createdAtFrom: '2026-12-02T10:00:00.000Z',
      }),
    ).toEqual([
      '--status',
      'failed,retrying',
      '--url-prefix',
      `'https://x.test/it'\\''s here'`,
      '--created-after',
      '2026-12-02T10:00:00.000Z',
    ]);
  });

  it("offers every status of the contract (the server's own list, which the CLI's build bundles)", () => {
    const contract = parse(readFileSync(new URL('../../../../openapi.yaml', import.meta.url), 'utf8'));
    expect([...STATUSES].sort()).toEqual([...contract.components.schemas.MessageStatus.enum].sort());
  });
});
