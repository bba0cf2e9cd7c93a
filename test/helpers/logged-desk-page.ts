/**
 * One desk page in Debian's Chromium against a simulated desk whose log is kept (JSON, at debug), for
 * the tests that follow a patron's number and find it nowhere: not in the page's address, not in its
 * console, not in Carrel's log. Registers the `beforeAll` / `afterAll` of the `describe` it is called in.
 */
import { PassThrough } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/core/logger.js';
import { launchChromium } from './browser.js';
import { startTestDesk, type TestDesk } from './desk.js';

export interface LoggedDeskPage {
  readonly testDesk: TestDesk;
  readonly browser: Browser;
  /** The one page, opened before the tests (each test goes where it needs). */
  readonly page: Page;
  /** Everything Carrel logged so far. */
  readonly log: string;
  /** Every console line of the page. */
  readonly consoleLines: string[];
  /** What the page threw. */
  readonly pageErrors: string[];
}

export function loggedDeskPage(
  configure: (config: CarrelConfig) => CarrelConfig,
  options: {
    /** Waited for once the desk has started (a device online…). */
    ready?: (testDesk: TestDesk) => Promise<void>;
    viewport?: { width: number; height: number };
  } = {},
): LoggedDeskPage {
  let testDesk: TestDesk | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let log = '';
  const consoleLines: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    testDesk = await startTestDesk(
      configure,
      createLogger({ level: 'debug', format: 'json', destination: lines }),
    );
    await options.ready?.(testDesk);
    browser = await launchChromium();
    page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {});
    page.on('console', (message) => consoleLines.push(message.text()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await testDesk?.stop();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} has not started`);
    return value;
  };
  return {
    get testDesk() {
      return started(testDesk, 'the desk');
    },
    get browser() {
      return started(browser, 'Chromium');
    },
    get page() {
      return started(page, 'the page');
    },
    get log() {
      return log;
    },
    consoleLines,
    pageErrors,
  };
}
