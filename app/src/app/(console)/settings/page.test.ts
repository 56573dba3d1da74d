/** The settings page as the server renders it: the plan's limits, each one a tenant can meet. */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

const vigil = {
  signingSecret: { get: async () => ({ secret: 'whsec_abc' }) },
  usage: async () => ({
    from: '2026-12-07',
    to: '2026-12-07',
    days: [],
    monthToDate: { scheduled: 1234, delivered: 0, failed: 0, attempts: 0 },
    plan: {
      name: 'free',
      monthlyMessages: 10_000,
      monthlyRequests: 5_000_000,
      ratePerSecond: 10,
      burst: 20,
      retentionDays: 7,
    },
  }),
  notificationEndpoints: { list: async () => [], deliveries: async () => [] },
};
vi.mock('@/lib/api', () => ({
  loadPage: async (load: (v: typeof vigil) => Promise<unknown>) => ({ data: await load(vigil) }),
}));
vi.mock('@/lib/actions', () => ({}));
vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }) }));

const { default: SettingsPage } = await import('./page');

/** The page's text as a reader sees it: tags dropped, entities read. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#x27;|&apos;/g, "'")
    .replace(/&amp;/g, '&');

describe('the settings page', () => {
  it("lists the plan's monthly request allowance beside its message quota, saying it is counted when deployed only", async () => {
    const text = textOf(renderToStaticMarkup(createElement(Theme, null, await SettingsPage())));

    expect(text).toContain('Messages per month1,234 used of 10,000');
    expect(text).toContain(
      "API requests per month5,000,000, every request counted (reads and the console's pages too); deployed only",
    );
  });
});

describe("the settings page once the month's message quota is used up", () => {
  it('says so beside the limits, with when it renews', async () => {
    const usage = vigil.usage;
    vigil.usage = async () => {
      const read = await usage();
      return { ...read, monthToDate: { ...read.monthToDate, scheduled: 10_000 } };
    };
    try {
      const text = textOf(renderToStaticMarkup(createElement(Theme, null, await SettingsPage())));
      expect(text).toMatch(
        /This month's message quota is used up\..* It renews on \d{4}-\d\d-01 00:00:00 UTC\. To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan\./,
      );
      expect(text).toContain('Messages per month10,000 used of 10,000');
    } finally {
      vigil.usage = usage;
    }
  });
});
