/// <reference lib="dom" />
/**
 * The console's every page in every look, in Debian's Chromium driven by playwright-core, against
 * the local stack run as `npm start` runs it: light and dark on a desktop and dark on a phone, each
 * page and a dialog of each kind checked with axe-core, and a phone's layout (stacked cards, long
 * tags wrapped, the header one row, the menu). Apart from the walk-through (web.e2e.test.ts) so the
 * two run side by side; it makes the messages it shows itself. Pictures under test-output/web/looks/.
 */
import type { Receiver } from '@vigil/local/receiver';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleStack } from './console-browser';
import { browserTestsRun, callApi, PageChecks, startConsoleStack } from './console-browser';
import type { StackProcess } from './target';

let stack: StackProcess;
let receiver: Receiver;
let unavailable: { url: string; stop(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let web: string;
let consoleStack: ConsoleStack | undefined;

const checks = new PageChecks('looks');
const watchConsole = (watched: BrowserContext) => checks.watchConsole(watched);
const checkAccessibility = (name: string) => checks.checkAccessibility(page, name);
const screenshot = (name: string, readme?: string) => checks.screenshot(page, name, readme);
const checkPageFrame = (name: string) => checks.checkPageFrame(page, name);
const api = (apiKey: string, method: string, path: string, body?: unknown) =>
  callApi(stack.baseUrl, apiKey, method, path, body);

describe.runIf(browserTestsRun())('the web app in every look', () => {
  /** A key of the signed-in tenant's, made with its console session. */
  let apiKey: string;
  /** A delivered message, its attempt's headers to show. */
  let deliveredId: string;
  /** A message with the longest label and metadata tag there may be. */
  let taggedId: string;

  beforeAll(async () => {
    await checks.start();
    consoleStack = await startConsoleStack();
    ({ stack, receiver, unavailable, browser, web } = consoleStack);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: 'Europe/Berlin' });
    watchConsole(context);
    page = await context.newPage();

    // Signed in as a person is, and a key made with that session.
    await page.goto(`${web}/signin`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web}/`);
    const session = (await context.cookies()).find((c) => c.name === 'next-auth.session-token')?.value ?? '';
    const key = await api(session, 'POST', '/v1/keys', { name: 'looks' });
    expect(key.status).toBe(201);
    apiKey = key.json.key;

    const delivered = await api(apiKey, 'POST', '/v1/messages', {
      url: `${receiver.url}/hook`,
      // Due once the engine has it in hand, so its page (a README picture) shows it sent on time.
      delay: 3,
      headers: { 'x-api-token': 'super-secret-token-value' },
      body: { order: 42, note: 'from the browser test' },
    });
    expect(delivered.status).toBe(201);
    deliveredId = delivered.json.id;
    const tagged = await api(apiKey, 'POST', '/v1/messages', {
      url: `${receiver.url}/tags`,
      delay: 3_600,
      labels: ['l'.repeat(64)],
      metadata: { ['k'.repeat(64)]: 'v'.repeat(256) },
    });
    expect(tagged.status).toBe(201);
    taggedId = tagged.json.id;
    // (expect.poll is for tests, not their setup.)
    for (let waited = 0; (await api(apiKey, 'GET', `/v1/messages/${deliveredId}`)).json.status !== 'delivered';) {
      if ((waited += 250) > 30_000) throw new Error(`message ${deliveredId} not delivered within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 180_000);

  afterAll(async () => {
    await consoleStack?.stop();
  });

  it('checks every page, and a dialog of each kind, in light and dark on a desktop and in dark on a phone (axe-core)', async () => {
    // Prepare: a tenant's billing webhooks in every state, for the README's picture of the list.
    const billing = async (body: Record<string, unknown>) => {
      const created = await api(apiKey, 'POST', '/v1/messages', { labels: ['billing'], ...body });
      expect(created.status).toBe(201);
      return created.json.id as string;
    };
    const settled = [
      await billing({ url: `${receiver.url}/billing/invoice-paid`, delay: 0, body: { invoice: 'in_1042' } }),
      await billing({ url: `${receiver.url}/billing/invoice-paid`, delay: 0, body: { invoice: 'in_1043' } }),
      // Refused: tried once, failed.
      await billing({ url: 'http://127.0.0.1:1/billing/refund-issued', delay: 0, retry: { maxAttempts: 1 } }),
      // Down for an hour: retrying, its next try an hour away.
      await billing({ url: `${unavailable.url}/billing/ledger-sync?retryAfter=3600`, delay: 0 }),
    ];
    await billing({ url: `${receiver.url}/billing/payment-reminder`, delay: 7_200, body: { invoice: 'in_1044' } });
    await billing({
      url: `${receiver.url}/billing/trial-ends`,
      sendAt: `${DateTime.now().setZone('America/New_York').plus({ days: 3 }).toISODate()}T09:00:00`,
      timezone: 'America/New_York',
    });
    const status = async (id: string) => (await api(apiKey, 'GET', `/v1/messages/${id}`)).json.status as string;
    await expect
      .poll(() => Promise.all(settled.map(status)), { timeout: 30_000, interval: 500 })
      .toEqual(['delivered', 'delivered', 'failed', 'retrying']);

    // Each look in a browser context of its own; the signed-in page afterwards goes on.
    const signedIn = page;
    const cookies = await context.cookies();
    const sizes = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } };
    const consolePages: Array<[string, string]> = [
      ['overview', '/'],
      ['messages', '/messages?label=billing'],
      ['message', `/messages/${deliveredId}`],
      ['message-not-found', '/messages/msg_0000000000000000000000000'],
      ['keys', '/keys'],
      ['settings', '/settings'],
    ];
    // Light on a phone is left out: light's contrast is checked on a desktop, a phone's layout in dark.
    const looks = [
      ['desktop', 'light'],
      ['desktop', 'dark'],
      ['phone', 'dark'],
    ] as const;
    for (const [size, colorScheme] of looks) {
      const viewport = sizes[size];
      const look = `${size}-${colorScheme}`;
      const variant = await browser.newContext({ viewport, colorScheme, timezoneId: 'Europe/Berlin' });
      watchConsole(variant);
      page = await variant.newPage();
      // Dark: a picture of each page too.
      const check = (name: string, readme?: string) =>
        colorScheme === 'dark' ? screenshot(`${look}-${name}`, readme) : checkAccessibility(`${look}-${name}`);
      // Light on a desktop, the walk-through (web.e2e.test.ts) checked every page already.
      const everyPage = look !== 'desktop-light';
      if (everyPage) {
        await page.goto(`${web}/signin`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await check('signin');
      }
      await variant.addCookies(cookies);
      for (const [name, path] of everyPage ? consolePages : []) {
        await page.goto(`${web}${path}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        if (name === 'messages') {
          // Once the browser has written the times in its zone, as a person sees them.
          await page.getByTestId('zoned-time').filter({ hasText: 'Europe/Berlin' }).first().waitFor();
        }
        await check(name, look === 'desktop-dark' && name === 'messages' ? 'messages-dark' : undefined);
        if (name === 'messages') {
          // The filters, folded until opened, are checked open too.
          await page.getByTestId('message-filters-panel').locator('summary').click();
          await page.getByTestId('message-filters').getByText('(Europe/Berlin)').first().waitFor();
          await checkAccessibility(`${look}-messages-filters-open`);
        }
      }
      // A form dialog and a confirmation, open over their pages.
      await page.goto(`${web}/messages?label=billing`);
      await page.getByRole('button', { name: 'Redeliver failed since…' }).click();
      await page.getByRole('dialog').waitFor();
      await checkAccessibility(`${look}-redeliver-since-dialog`);
      await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
      await page.goto(`${web}/keys`);
      await page.getByRole('button', { name: 'Revoke' }).first().click();
      await page.getByRole('alertdialog').waitFor();
      await checkAccessibility(`${look}-revoke-dialog`);
      await page.getByRole('alertdialog').getByRole('button', { name: 'Keep it' }).click();
      await variant.close();
    }
    page = signedIn;
  }, 600_000);

  it('reads well on a phone, in the dark theme', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    watchConsole(phone);
    await phone.addCookies(await context.cookies());
    page = await phone.newPage();
    await page.goto(`${web}/messages/${deliveredId}`);
    await page.getByTestId('attempt-1').waitFor();
    // The headers tables fit a phone too: long values wrap.
    await page.getByTestId('sent-headers-1').locator('summary').click();
    await page.getByTestId('response-headers-1').locator('summary').click();
    // Nothing sticks out sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('phone-dark-message', 'message-phone-dark');

    // A label and a metadata tag as long as they may be, without a space: they wrap inside the page.
    const tags = [
      { path: `/messages/${taggedId}`, text: `${'k'.repeat(64)}: ${'v'.repeat(256)}` },
      { path: `/messages/${taggedId}`, text: 'l'.repeat(64) },
      { path: `/messages?label=${'l'.repeat(64)}`, text: 'l'.repeat(64) },
    ];
    for (const { path, text } of tags) {
      await page.goto(`${web}${path}`);
      // The list has a table and a phone's cards: the one on screen.
      const tag = page.getByText(text, { exact: true }).filter({ visible: true }).first();
      await tag.waitFor();
      const right = await tag.evaluate((element) => element.getBoundingClientRect().right);
      expect(right, `${path}: ${text.slice(0, 10)}… inside the window`).toBeLessThanOrEqual(390);
    }
    await page.goto(`${web}/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await screenshot('phone-dark-overview');

    // Every page: one h1, header landmark, skip link, nothing sideways; the header is one row.
    for (const path of ['/', '/messages', `/messages/${deliveredId}`, '/keys', '/settings']) {
      await page.goto(`${web}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await checkPageFrame(`phone ${path}`);
      const header = (await page.getByRole('banner').boundingBox())!;
      expect(header.height, `phone ${path}: the header is one row`).toBeLessThan(56);
    }
    // The pages are a menu away.
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitem', { name: 'Messages' }).click();
    await page.waitForURL(`${web}/messages`);

    // The list is stacked cards: every field of a row on screen (the newest delivered one's).
    const card = page.locator('[data-testid^="message-msg_"]').filter({ hasText: 'delivered' }).first();
    for (const label of ['Status', 'Target', 'Send at', 'Attempts', 'Lateness']) {
      const cell = card.locator(`[data-label="${label}"]`);
      await cell.scrollIntoViewIfNeeded();
      const box = (await cell.boundingBox())!;
      expect(box.x, `${label} on screen`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${label} on screen`).toBeLessThanOrEqual(390);
      expect(box.height, `${label} has its own height`).toBeGreaterThan(20);
      // Seen, not clipped by the card: what is at the cell's place on screen is the cell.
      const seen = await cell.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
      });
      expect(seen, `${label} visible`).toBe(true);
    }
    await screenshot('phone-dark-messages');

    // A key made on the phone: its Revoke button is on screen.
    await page.goto(`${web}/keys`);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('phone');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByTestId('new-key-secret').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Gone, not only closing: its overlay covers the page while it fades out.
    await dialog.waitFor({ state: 'detached' });
    const revoke = page.getByRole('row', { name: /phone/ }).getByRole('button', { name: 'Revoke' });
    const box = (await revoke.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    // Reachable: a click there lands on it (not clipped by its card), once the page has settled (a
    // full run on a loaded machine once found it covered for an instant).
    await expect
      .poll(() =>
        revoke.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
        }),
      )
      .toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot('phone-dark-keys');
  });

  it('has no serious or critical WCAG 2 A/AA problems on any page (axe-core)', () => {
    expect(checks.accessibility).toEqual([]);
  });

  it('drew every page without an error in the browser console (no hydration mismatch)', () => {
    expect(checks.browserErrors).toEqual([]);
  });
});
