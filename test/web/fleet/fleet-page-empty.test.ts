/**
 * The fleet page on a broker where it sees no desk. Mosquitto 2.0 grants a subscription its ACL
 * does not let the user read (MQTT 3.1.1 and 5 alike) and then delivers nothing, so a fleet-view
 * user left out of the ACL looks exactly like a broker no desk has published on: the page must
 * say both, and where to look. Real Mosquitto with a password file and an ACL that forgot the
 * fleet view, a desk's retained state on it, the real `carrel fleet` command, Debian's Chromium.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  writeMosquittoPasswords,
} from '../../helpers/mosquitto.js';
import { startFleetView, stopFleetView } from './fleet-days.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet page's empty-broker test: ${skip}`);

describe.skipIf(skip !== undefined)('the fleet page, seeing no desk', () => {
  let broker: MosquittoBroker;
  let view: ChildProcess | undefined;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startMosquitto({
      configure(dir) {
        writeMosquittoPasswords(join(dir, 'passwd'), {
          'main-desk-1': 'desk-pw-0123',
          'fleet-view': 'view-pw-0123',
        });
        // The desk's own lines; the fleet view's were forgotten.
        writeFileSync(join(dir, 'acl'), 'user main-desk-1\ntopic readwrite carrel/main/desk-1/#\n');
        return [
          'allow_anonymous false',
          `password_file ${join(dir, 'passwd')}`,
          `acl_file ${join(dir, 'acl')}`,
        ];
      },
    });
    const desk = await mqtt.connectAsync(broker.url, {
      reconnectPeriod: 0,
      username: 'main-desk-1',
      password: 'desk-pw-0123',
    });
    await desk.publishAsync(
      'carrel/main/desk-1/state',
      JSON.stringify({ status: 'online', since: new Date().toISOString() }),
      {
        qos: 1,
        retain: true,
      },
    );
    await desk.endAsync();
    const url = new URL(broker.url);
    url.username = 'fleet-view';
    url.password = 'view-pw-0123';
    const started = await startFleetView(url.toString());
    view = started.view;
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(started.url);
    pageText = async () =>
      (await page.locator('#empty').isVisible()) ? page.locator('#empty').textContent() : null;
  }, 60_000);

  let pageText: () => Promise<string | null>;

  afterAll(async () => {
    await browser?.close();
    await stopFleetView(view);
    await broker?.stop();
  });

  it("says that no desk is seen, and that the broker's ACL may be keeping them from the fleet view", async () => {
    await expect.poll(pageText, { timeout: 10_000 }).toMatch(/^No desk has published on this broker yet/);
    const said = await pageText();
    expect(said).toContain("the broker's ACL");
    expect(said).toContain('carrel/+/+/state');
    expect(said).toContain('docs/fleet.md');
  });
});
