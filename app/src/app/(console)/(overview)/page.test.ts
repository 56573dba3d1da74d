/**
 * The overview as the server renders it against a local stack and a deployed one: its quickstart
 * sends a webhook to a receiver on this machine when the API is local, started as README's
 * walk-through starts it.
 */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';

const settings = { publicApiUrl: 'http://127.0.0.1:4000' };
const page = { items: [], nextCursor: null, previousCursor: null };
const monthToDate = { scheduled: 0, delivered: 0, failed: 0, attempts: 0 };
/** The usage API's days (none: the chart says nothing yet). */
const usageDays: Array<{ date: string; scheduled: number; delivered: number; failed: number; attempts: number }> = [];
const vigil = {
  usage: async () => ({
    from: '2026-11-02',
    to: '2026-12-01',
    days: usageDays,
    monthToDate,
    plan: { name: 'free', monthlyMessages: 1000 },
  }),
  messages: { listPage: async () => page },
  keys: { list: async () => [{ id: 'key_1', name: 'laptop', prefix: 'vgl_4Hq' }] },
};
vi.mock('@/lib/api', () => ({
  loadPage: async (load: (v: typeof vigil) => Promise<unknown>) => ({ data: await load(vigil) }),
}));
vi.mock('@/lib/config', () => ({ consoleConfig: () => settings }));

const { default: OverviewPage } = await import('./page');

const render = async () => renderToStaticMarkup(createElement(Theme, null, await OverviewPage()));
/** The page's text as a reader sees it: tags dropped, entities read. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#x27;|&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The month's bar against the quota, as drawn. */
const quotaBar = (html: string) => /<[^>]*data-testid="quota-used"[^>]*>/.exec(html)?.[0] ?? '';

describe('the overview', () => {
  it("tells a local stack's user to start the receiver with the signing secret, as README does, so it verifies what arrives", async () => {
    settings.publicApiUrl = 'http://127.0.0.1:4000';

    const text = textOf(await render());

    expect(text).toContain(
      "It goes to a receiver on your machine: start one with VIGIL_SIGNING_SECRET=whsec_… npm run receiver -- 9000 in the Vigil folder, with your signing secret (Settings) in place of whsec_…, so that it verifies each webhook's signature, then watch it arrive on the Messages page.",
    );
    expect(await render()).toMatch(/<a[^>]*href="\/settings"[^>]*>Settings<\/a>/);
  });

  it('names no local receiver when the API is deployed', async () => {
    settings.publicApiUrl = 'https://api.example.com';

    expect(textOf(await render())).not.toContain('npm run receiver');
  });
});

describe("the overview's last 30 days", () => {
  it("says its bars are UTC days, as Vigil counts them: far from UTC a bar is not the viewer's day", async () => {
    usageDays.push({ date: '2026-12-01', scheduled: 3, delivered: 2, failed: 1, attempts: 4 });
    try {
      expect(textOf(await render())).toContain(
        "Each bar is a UTC day, as Vigil counts them (and the month's figures).",
      );
    } finally {
      usageDays.length = 0;
    }
  });
});

describe("the overview's last 30 days, read aloud", () => {
  it('says its totals grouped as the figures above it do (10,000, not 10000)', async () => {
    usageDays.push({ date: '2026-12-01', scheduled: 10_000, delivered: 9_998, failed: 2, attempts: 10_002 });
    try {
      expect(textOf(await render())).toContain('Last 30 days (UTC days): 10,000 scheduled, 9,998 delivered, 2 failed.');
    } finally {
      usageDays.length = 0;
    }
  });
});

describe("the overview once the month's message quota is used up", () => {
  afterEach(() => {
    monthToDate.scheduled = 0;
    vi.useRealTimers();
  });

  it('says so above the figures: what is refused, what still goes, when it renews, and how to send more before then', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-07T19:00:00Z') });
    monthToDate.scheduled = 1000;

    const text = textOf(await render());

    expect(text).toContain(
      "This month's message quota is used up. New messages and redeliveries are refused until the quota renews; the messages you scheduled before are still delivered. It renews on 2027-01-01 00:00:00 UTC. To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.",
    );
  });

  it('says nothing of it while some of the quota is left, and its bar stays the accent colour', async () => {
    monthToDate.scheduled = 999;

    const html = await render();
    expect(textOf(html)).not.toContain('quota is used up');
    expect(quotaBar(html)).toMatch(/aria-valuenow="99\.9"/);
    expect(quotaBar(html)).not.toContain('data-accent-color="amber"');
  });

  it("draws the month's bar full in the notice's amber, also past the quota (a plan changed to a smaller one), and counts it exactly", async () => {
    for (const scheduled of [1000, 1500]) {
      monthToDate.scheduled = scheduled;

      const html = await render();

      expect(quotaBar(html)).toContain('data-accent-color="amber"');
      expect(quotaBar(html)).toMatch(/aria-valuenow="100"/);
      expect(textOf(html)).toContain(
        `Scheduled this month${scheduled.toLocaleString('en-US')}of 1,000 on the free plan`,
      );
    }
  });

  it('says its quickstart command is refused until the quota renews, not left for the terminal to tell', async () => {
    monthToDate.scheduled = 1000;
    expect(textOf(await render())).toContain(
      "(your key “laptop”; its secret was shown once when it was made). Until this month's quota renews, Vigil refuses it (429 quota-exceeded), as it does every new message.",
    );

    monthToDate.scheduled = 999;
    expect(textOf(await render())).not.toContain('Vigil refuses it');
  });
});
