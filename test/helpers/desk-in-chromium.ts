/**
 * A desk page in Debian's Chromium against the simulated desk, for one `describe` block: the desk and
 * the browser start before its tests and stop after them; each test's pages are closed after it, and
 * the test fails if a page threw or logged an error (a script error, a request the CSP refused).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import { launchChromium } from './browser.js';
import { startTestDesk, type TestDesk } from './desk.js';

export interface DeskInChromiumOptions {
  /** Waited for once the desk has started (a device online…). */
  ready?: (testDesk: TestDesk) => Promise<void>;
  /** Which console errors fail the test; every one when absent. */
  consoleError?: (text: string) => boolean;
}

export interface DeskInChromium {
  readonly testDesk: TestDesk;
  readonly browser: Browser;
  /**
   * A new page at `path` on the desk (`/dashboard#token=…`), its errors watched; `quiet` pages are
   * not watched (a page shown on purpose without what it needs).
   */
  openPage(
    path: string,
    options?: { viewport?: { width: number; height: number }; quiet?: boolean },
  ): Promise<Page>;
}

export function deskInChromium(
  configure: (config: CarrelConfig) => CarrelConfig,
  options: DeskInChromiumOptions = {},
): DeskInChromium {
  let testDesk: TestDesk | undefined;
  let browser: Browser | undefined;
  const pages: Page[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Chromium starts while the desk starts and its devices come online: neither waits for the other.
    const launching = launchChromium();
    launching.catch(() => {}); // its failure is reported below, once the desk's is
    try {
      testDesk = await startTestDesk(configure);
      await options.ready?.(testDesk);
    } finally {
      // Launched whatever the desk did, so that afterAll closes it.
      browser = await launching.catch(() => undefined);
    }
    if (!browser) await launching; // a Chromium that did not start fails the block with its reason
  }, 60_000);

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await testDesk?.stop();
  });

  return {
    get testDesk() {
      if (!testDesk) throw new Error('the desk has not started');
      return testDesk;
    },
    get browser() {
      if (!browser) throw new Error('Chromium has not started');
      return browser;
    },
    async openPage(path, { viewport, quiet = false } = {}) {
      const page = await this.browser.newPage(viewport ? { viewport } : {});
      pages.push(page);
      if (!quiet) {
        page.on('pageerror', (error) => pageErrors.push(error.message));
        page.on('console', (message) => {
          if (message.type() === 'error' && (options.consoleError?.(message.text()) ?? true))
            pageErrors.push(message.text());
        });
      }
      await page.goto(`${this.testDesk.api}${path}`);
      return page;
    },
  };
}
