/**
 * The fleet page as central IT meets it in a library of forty desks, on a real Mosquitto: one
 * desk is a real Carrel (killed with SIGKILL, its last will published by the broker), the 39
 * others publish what that desk published, under their own names, each with its own last will.
 * The page in Debian's Chromium must say which desk went offline on its first screen, in words —
 * not only "39/40 desks online" with the desk's card somewhere below forty rows of comparisons.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpRelay, type TcpRelay } from '../api/mqtt/tcp-relay.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { spawnCarrel } from '../helpers/carrel-cli.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/until.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet page of many desks: ${skip}`);

const DESKS = 40;
/** The real Carrel among them, in the middle of the list. */
const REAL = 'desk-20';
const name = (n: number) => `desk-${String(n).padStart(2, '0')}`;

/** `carrel <args>`, resolved with what `ready` matched on its stdout or stderr. */
function carrel(args: string[], cwd: string, ready: RegExp, env: NodeJS.ProcessEnv = {}) {
  const { child, exited, said } = spawnCarrel(args, {
    cwd,
    env: { CARREL_FLEET_TOKEN: '', CARREL_FLEET_BROKER: '', ...env },
    keepChars: 8000,
  });
  const match = until(async () => ready.exec(said()) ?? undefined, 30_000, `carrel ${args[0]}: ${ready}`);
  return { child, exited, match, said };
}

describe.skipIf(skip !== undefined)('the fleet page, forty desks on one broker', () => {
  let dir: string;
  let broker: MosquittoBroker;
  let desk: { child: ChildProcess; exited: Promise<void> } | undefined;
  let view: { child: ChildProcess; exited: Promise<void> } | undefined;
  let page: Page;
  let browser: Browser;
  let pageUrl: string;
  /** Between the fleet view and the broker: central IT's network, which may drop for a while. */
  let relay: TcpRelay;
  const others: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-fleet-many-'));
    broker = await startMosquitto();
    const config = join(dir, 'desk.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 2,
        site: 'main',
        gateway: REAL,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'external', url: broker.url, keepaliveSeconds: 5 },
        log: { level: 'warn', format: 'json' },
        storage: { path: join(dir, 'desk.db') },
        systemd: { watchdog: false },
        simulators: [{ id: 'printer-sim', kind: 'printer', port: 0, httpPort: 0 }],
        devices: [
          {
            id: 'receipt-1',
            kind: 'receipt-printer',
            transport: { type: 'simulator', simulator: 'printer-sim' },
          },
        ],
      }),
    );
    const started = carrel(['start', '--config', config], dir, /API\s+(http:\/\/\S+)\/api\/v1/);
    desk = started;
    await started.match;

    // What the real desk keeps retained, as the other 39 desks publish it under their own names.
    const reader = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const retained = new Map<string, Buffer>();
    reader.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0)
        retained.set(topic.slice(`carrel/main/${REAL}/`.length), payload);
    });
    await reader.subscribeAsync(`carrel/main/${REAL}/#`);
    await until(
      async () =>
        retained.has('state') && retained.has('totals') && retained.has('devices/receipt-1/state')
          ? true
          : undefined,
      15_000,
      "the real desk's retained state",
    );
    await reader.endAsync();
    for (let n = 1; n <= DESKS; n++) {
      if (name(n) === REAL) continue;
      const base = `carrel/main/${name(n)}`;
      const client = await mqtt.connectAsync(broker.url, {
        reconnectPeriod: 0,
        will: { topic: `${base}/state`, payload: Buffer.from('{"status":"offline"}'), qos: 1, retain: true },
      });
      others.push(client);
      for (const [suffix, payload] of retained)
        await client.publishAsync(`${base}/${suffix}`, payload, { qos: 1, retain: true });
    }

    relay = await startTcpRelay(broker.port);
    const fleet = carrel(['fleet', '--broker', relay.url, '--http-port', '0'], dir, /page\s+(http:\/\/\S+)/);
    view = fleet;
    pageUrl = (await fleet.match)[1]!;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pageUrl);
    await until(
      async () =>
        (await page.locator('#desks > li').count()) === DESKS &&
        (await page.locator('#desks > li[data-status="online"]').count()) === DESKS
          ? true
          : undefined,
      15_000,
      'forty desks online on the page',
    );
  }, 120_000);

  afterAll(async () => {
    for (const client of others) await client.endAsync(true).catch(() => {});
    await browser?.close();
    for (const child of [view, desk]) {
      if (!child) continue;
      child.child.kill('SIGKILL');
      await child.exited;
    }
    await relay?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Text of every element wholly on the page's first screen (nothing scrolled), one per element. */
  const firstScreen = () =>
    page.locator('body').evaluate((body) => {
      const height = body.ownerDocument.defaultView?.innerHeight ?? 0;
      const texts: string[] = [];
      for (const element of body.querySelectorAll('*')) {
        const rect = element.getBoundingClientRect();
        const shown = rect.width > 0 && rect.height > 0;
        if (shown && rect.top >= 0 && rect.bottom <= height)
          texts.push((element as unknown as { innerText: string }).innerText);
      }
      return texts;
    });

  it('says on its first screen which desk went offline when one dies, in words', async () => {
    expect(await page.locator('body').evaluate((body) => body.ownerDocument.defaultView?.scrollY)).toBe(0);
    desk!.child.kill('SIGKILL');
    await desk!.exited;
    await until(
      async () =>
        (await page.locator(`#desks > li[data-desk="main/${REAL}"]`).getAttribute('data-status')) ===
        'offline'
          ? true
          : undefined,
      15_000,
      'the killed desk offline on the page',
    );
    const texts = await firstScreen();
    expect(texts.filter((text) => text.includes(`main / ${REAL}`) && /offline/i.test(text))).not.toEqual([]);
  }, 60_000);

  it('keeps when it saw a dead desk go offline across its own link to the broker dropping for a while', async () => {
    interface Desks {
      broker: { connected: boolean };
      desks: Array<{ gateway: string; status: string; seen: string }>;
    }
    const desks = async () => (await (await fetch(`${pageUrl}/api/desks`)).json()) as Desks;
    const real = (fleet: Desks) => fleet.desks.find((desk) => desk.gateway === REAL);
    const before = real(await desks());
    expect(before?.status).toBe('offline');
    const attentionLine = page.locator(`#attention li[data-desk="main/${REAL}"]`);
    const said = await attentionLine.textContent();
    expect(said).toContain('offline');

    // The network between central IT and the broker drops for a few seconds, then comes back.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    relay.cut({ refuseNew: true });
    await until(async () => ((await desks()).broker.connected ? undefined : true), 10_000, 'the link lost');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    relay.heal();
    await until(async () => ((await desks()).broker.connected ? true : undefined), 15_000, 'the link back');
    // The fleet is built anew from the retained messages once they have come (settled in 300 ms).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = real(await desks());
    expect(after?.status).toBe('offline');
    // When the fleet view saw the desk go offline is when it died, not when the link came back.
    expect(after?.seen).toBe(before?.seen);
    await expect.poll(() => attentionLine.textContent(), { timeout: 5000 }).toBe(said);
  }, 60_000);
});
