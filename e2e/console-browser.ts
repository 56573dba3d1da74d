/// <reference lib="dom" />
/**
 * What the console's browser test (web.e2e.test.ts) stands on: Debian's Chromium driven by
 * playwright-core, the local stack with the console, a receiver that is down, the checks every page
 * gets (axe-core, one h1, landmarks, a skip link, nothing sideways), the browser console's errors,
 * and the pictures a person looks at.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { stringifyExactJson } from '@vigil/core';
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';
import { tierRuns } from '../test-support/ci';
import { StackProcess } from './target';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const haveBuild = existsSync(join(__dirname, '..', 'app', '.next', 'BUILD_ID'));

/**
 * Whether the browser tests run. Said plainly, not silently: where Chromium or the build is missing
 * they do not run, and in CI that fails the run instead.
 */
export const browserTestsRun = (): boolean =>
  tierRuns(
    "The web app's browser tests",
    !haveChromium
      ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH; .ci/run installs it)`
      : !haveBuild
        ? 'no production build of app/ (npm run build -w app; npm test does it)'
        : undefined,
  );

/** Chromium, as root in CI, and making no background calls to Google's hosts, which this network refuses. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/**
 * A receiver that is down: it answers every request 503 with a Retry-After of as many seconds as its
 * URL's `retryAfter` says (`/sync?retryAfter=3600`), so a message sent there waits that long for its
 * next attempt.
 */
export const startUnavailable = async () => {
  const server = createServer((request, response) => {
    const retryAfter = new URL(request.url ?? '/', 'http://receiver').searchParams.get('retryAfter') ?? '60';
    response.writeHead(503, { 'retry-after': retryAfter, 'content-type': 'text/plain' });
    response.end('down for maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * What the browser test drives: the local stack run as `npm start` runs it, with the console; a
 * receiver, one that is down, and Chromium. `stop` ends them all.
 */
export interface ConsoleStack {
  stack: StackProcess;
  receiver: Receiver;
  unavailable: { url: string; stop(): Promise<void> };
  browser: Browser;
  /** The console's URL. */
  web: string;
  stop(): Promise<void>;
}

export const startConsoleStack = async (): Promise<ConsoleStack> => {
  const receiver = await startReceiver({ port: 0 });
  const unavailable = await startUnavailable();
  const stack = await StackProcess.create({ web: true });
  await stack.start(120_000);
  const browser = await launchChromium();
  return {
    stack,
    receiver,
    unavailable,
    browser,
    web: stack.webUrl as string,
    stop: async () => {
      await browser.close();
      await stack.stop();
      await receiver.stop();
      await unavailable.stop();
    },
  };
};

/** A call to the stack's API with a key (or a console session's token), its JSON answer read. */
export const callApi = async (baseUrl: string, apiKey: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : stringifyExactJson(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as any };
};

const OUTPUT = join(__dirname, '..', 'test-output', 'web');

/**
 * What the suite saw: its pictures (test-output/web/NN-name.png, and the README's pictures,
 * test-output/web/readme/<name>.png: look at them, then copy them over the README's), the WCAG 2
 * A/AA problems axe-core found (serious and critical ones fail the suite) and what the browser's
 * console said went wrong on any page of a context it watches (a failed resource load aside: the
 * 404 pages answer 404 on purpose; a hydration mismatch is one: React threw away the server's HTML
 * and drew the page again).
 */
export class PageChecks {
  readonly accessibility: string[] = [];
  readonly browserErrors: string[] = [];
  private readonly dir = OUTPUT;
  private readonly readmeDir = join(OUTPUT, 'readme');
  private shot = 0;

  /** Only this run's pictures, so none of an older run's are taken for this one's. */
  async start(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.readmeDir, { recursive: true });
  }

  watchConsole(watched: BrowserContext): void {
    watched.on('console', (message) => {
      if (message.type() !== 'error' || message.text().startsWith('Failed to load resource')) return;
      this.browserErrors.push(`${message.page()?.url() ?? '?'}: ${message.text().slice(0, 600)}`);
    });
    watched.on('weberror', (error) =>
      this.browserErrors.push(`${error.page()?.url() ?? '?'}: ${error.error().message}`),
    );
  }

  /** Checks the page as it is now with axe-core; serious and critical problems are kept for the suite's verdict. */
  async checkAccessibility(page: Page, name: string): Promise<void> {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<any> } }).axe;
      const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes
          .slice(0, 3)
          .map((n: any) => `${n.target.join(' ')} [${n.failureSummary}] ${n.html.slice(0, 120)}`),
      }));
    });
    for (const v of violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        this.accessibility.push(`${name}: ${v.id} (${v.impact}) ${v.help}: ${v.targets.join(', ')}`);
      }
    }
  }

  /** Saves what the page looks like now (and as one of the README's pictures, when named), and checks it with axe-core. */
  async screenshot(page: Page, name: string, readme?: string): Promise<void> {
    this.shot += 1;
    await page.screenshot({
      path: join(this.dir, `${String(this.shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    if (readme) await page.screenshot({ path: join(this.readmeDir, `${readme}.png`), fullPage: true });
    await this.checkAccessibility(page, name);
  }

  /**
   * What every console page must hold: one h1, the header in a banner landmark, a skip link that is
   * the first thing Tab reaches and leads to the main content, and nothing wider than the window.
   */
  async checkPageFrame(page: Page, name: string): Promise<void> {
    expect(await page.locator('h1').count(), `${name}: one h1`).toBe(1);
    expect(await page.getByRole('banner').count(), `${name}: a header landmark`).toBe(1);
    expect(await page.getByRole('main').count(), `${name}: a main landmark`).toBe(1);
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to main content' });
    await expect(skip.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    expect(await skip.getAttribute('href')).toBe('#main');
    // Followed, it leaves the header behind: the main content has the focus.
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('MAIN');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      `${name}: no sideways scrolling`,
    ).toBeLessThanOrEqual(0);
  }
}
