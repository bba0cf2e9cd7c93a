/**
 * Debian's Chromium for the page tests and the benchmarks that drive pages (bench/reports.ts). Free
 * of vitest, so that a benchmark does not pull the test runner in; `sharedChromium` (browser.ts) is
 * the tests' own.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser), headless, with the flags a closed network needs. */
export const CHROMIUM_PATH = process.env.CARREL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why this file's tests in Chromium do not run here, or undefined when they do: they run wherever
 * Debian's Chromium is, and in CI, where a missing one fails them.
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI) return undefined; // in CI a missing browser must fail, not skip
  return `no Chromium at ${CHROMIUM_PATH} (bash scripts/install-test-deps installs Debian's)`;
}

export interface ChromiumOptions {
  /**
   * A synthetic webcam (Chromium's moving test pattern); `'granted'` also answers every camera
   * prompt yes, `'asked'` leaves the answer to the context's permissions (none granted: refused).
   */
  fakeCamera?: 'granted' | 'asked';
}

export function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  const camera =
    options.fakeCamera === undefined
      ? []
      : [
          '--use-fake-device-for-media-stream',
          ...(options.fakeCamera === 'granted' ? ['--use-fake-ui-for-media-stream'] : []),
        ];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...camera,
    ],
  });
}
