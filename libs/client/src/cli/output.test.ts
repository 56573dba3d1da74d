import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { colorEnabled, localText, relativeText, table, timeText, truncate } from './output';
import { formatDuration } from './duration';

const plain = pc.createColors(false);
const colored = pc.createColors(true);

describe('output for people', () => {
  it('pads table columns to their widest cell, ignoring colour codes', () => {
    const lines = table(
      ['ID', 'STATUS', 'URL'],
      [
        ['msg_1', colored.green('delivered'), 'https://a'],
        ['msg_22', colored.red('failed'), 'https://b'],
      ],
      plain,
    );

    // eslint-disable-next-line no-control-regex
    expect(lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual([
      'ID      STATUS     URL',
      'msg_1   delivered  https://a',
      'msg_22  failed     https://b',
    ]);
  });

  it('colours only a terminal, and never with NO_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
  });

  it('prints instants in UTC, milliseconds only when there are some', () => {
    expect(timeText('2026-12-01T09:00:00.000Z')).toBe('2026-12-01 09:00:00Z');
    expect(timeText('2026-12-01T10:00:00.250+01:00')).toBe('2026-12-01 09:00:00.250Z');
    expect(timeText(undefined)).toBe('-');
  });

  it("prints a message's local time with its offset, so the two of an hour that happens twice differ", () => {
    const berlin = (localSendAt: string) => localText({ timezone: 'Europe/Berlin', localSendAt });
    expect(berlin('2026-10-25T02:30:00.000+02:00')).toBe('2026-10-25 02:30:00+02:00 Europe/Berlin');
    expect(berlin('2026-10-25T02:30:00.000+01:00')).toBe('2026-10-25 02:30:00+01:00 Europe/Berlin');
    expect(berlin('2026-10-25T02:30:00.250+01:00')).toBe('2026-10-25 02:30:00.250+01:00 Europe/Berlin');
    expect(localText({ sendAt: '2026-10-25T00:30:00.000Z' } as never)).toBeUndefined();
  });

  it('says how far away an instant is', () => {
    const now = Date.parse('2026-12-01T09:00:00Z');
    expect(relativeText('2026-12-01T09:10:00Z', now, formatDuration)).toBe('in 10m');
    expect(relativeText('2026-12-01T08:59:57Z', now, formatDuration)).toBe('3s ago');
    expect(relativeText('2026-12-01T09:00:00.400Z', now, formatDuration)).toBe('now');
  });

  it('cuts long text with an ellipsis', () => {
    expect(truncate('https://example.com/a/long/path', 12)).toBe('https://exa…');
    expect(truncate('short', 12)).toBe('short');
  });
});
