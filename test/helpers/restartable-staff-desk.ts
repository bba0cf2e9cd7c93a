/**
 * A staff desk's `carrel start` that a test stops, starts again and re-tokens while a page stays
 * open on it (built on carrel-daemon.ts: dist/ must be built).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './browser.js';
import { type CarrelDaemon, restartableCarrel, simulatedDeskConfig } from './carrel-daemon.js';
import { writeConfigFile } from './config-file.js';
import { waitForDevice } from './desk.js';

/** A staff desk's daemon that a test stops, starts again and re-tokens, as IT would. */
export interface RestartableStaffDesk {
  /** The daemon started last (stopped, after `stop()`). */
  readonly daemon: CarrelDaemon;
  /** SIGTERMs it (a restart, Carrel away meanwhile). */
  stop(): Promise<void>;
  /** Starts it again with its config as it is now, on the same port and database. */
  start(): Promise<void>;
  /** Writes the config with the desk's one staff token changed to `token` (takes effect at `start()`). */
  changeToken(token: string): void;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * The simulated desk under `carrel start`, kept to the `devices` and `simulators` named (by id), MQTT
 * off, one staff token `token` named `tokenName` (and `otherTokens`, if any); started, its HTTP port then written into its config
 * so a restart comes back where an open page dials it again, and resolved once `waitFor` is online.
 */
export async function startRestartableStaffDesk(options: {
  folderPrefix: string;
  tokenName: string;
  token: string;
  devices: readonly string[];
  simulators: readonly string[];
  waitFor: string;
  /** Tokens beside the staff one (IT's admin token for the dashboard), kept as they are when it changes. */
  otherTokens?: ReadonlyArray<{ name: string; token: string; scopes: string[] }>;
}): Promise<RestartableStaffDesk> {
  const staffToken = (token: string) => ({ name: options.tokenName, token, scopes: ['staff'] });
  const tokens = (token: string) => ({ tokens: [staffToken(token), ...(options.otherTokens ?? [])] });
  const carrel = restartableCarrel(
    options.folderPrefix,
    (dir) =>
      writeConfigFile(dir, 'carrel.json', {
        ...simulatedDeskConfig(dir, options),
        auth: tokens(options.token),
      }),
    // Back on the same port after each restart, where the open page dials it again.
    { samePort: true },
  );
  try {
    await carrel.start();
  } catch (error) {
    await carrel.close();
    throw error;
  }
  const desk: RestartableStaffDesk = {
    get daemon() {
      return carrel.daemon;
    },
    stop: () => carrel.stop(),
    async start() {
      await carrel.start();
    },
    changeToken(token) {
      carrel.changeConfig((config) => {
        config.auth = tokens(token);
      });
    },
    async close() {
      await carrel.stop();
      await carrel.close();
    },
  };
  await waitForDevice(carrel.api, options.waitFor, 'online', 20_000, options.token);
  return desk;
}

/**
 * `startRestartableStaffDesk(options)` and Chromium for the `describe` that calls this (started in
 * its `beforeAll`, closed in its `afterAll`): the desk, and `openPage(path)`, a 1366×768 page on the
 * daemon's `path` whose script errors are collected in `pageErrors`.
 */
export function restartableStaffDeskInChromium(options: Parameters<typeof startRestartableStaffDesk>[0]) {
  let desk: RestartableStaffDesk;
  let browser: Browser;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    desk = await startRestartableStaffDesk(options);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await desk?.close();
  });
  return {
    desk: () => desk,
    pageErrors,
    async openPage(pagePath: string): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${desk.daemon.api}${pagePath}`);
      return page;
    },
  };
}
