import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.js';

// Chromium itself is in chromium.ts, free of vitest for the benchmarks; the tests take it from here too.
export { CHROMIUM_PATH, type ChromiumOptions, chromiumSkipReason, launchChromium } from './chromium.js';

/**
 * One Chromium for the `describe` block that calls this (launched before its tests, closed after):
 * the returned function gives it, once launched, to the blocks inside.
 */
export function sharedChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium has not started');
    return browser;
  };
}
