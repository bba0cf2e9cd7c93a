/**
 * A staff desk's `carrel start` that a test stops, starts again and re-tokens while a page stays
 * open on it (built on carrel-daemon.ts: dist/ must be built).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { launchChromium } from './browser.js';
import { type CarrelDaemon, startCarrelDaemon, stopDaemon } from './carrel-daemon.js';
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
  const dir = mkdtempSync(path.join(tmpdir(), options.folderPrefix));
  const base = defaultDeskConfig();
  const config = {
    ...base,
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'off' },
    storage: { path: path.join(dir, 'carrel.db') },
    auth: { tokens: [staffToken(options.token), ...(options.otherTokens ?? [])] } as unknown,
    devices: base.devices.filter((device) => options.devices.includes(device.id)),
    simulators: base.simulators.filter((simulator) => options.simulators.includes(simulator.id)),
  };
  const configPath = path.join(dir, 'carrel.json');
  const write = () => writeFileSync(configPath, JSON.stringify(config));
  write();
  let daemon: CarrelDaemon;
  try {
    daemon = await startCarrelDaemon(configPath);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // Back on the same port after each restart, where the open page dials it again.
  config.http.port = Number(new URL(daemon.api).port);
  write();
  const desk: RestartableStaffDesk = {
    get daemon() {
      return daemon;
    },
    stop: () => stopDaemon(daemon.child),
    async start() {
      daemon = await startCarrelDaemon(configPath);
    },
    changeToken(token) {
      config.auth = { tokens: [staffToken(token), ...(options.otherTokens ?? [])] };
      write();
    },
    async close() {
      await stopDaemon(daemon.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForDevice(daemon.api, options.waitFor, 'online', 20_000, options.token);
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
