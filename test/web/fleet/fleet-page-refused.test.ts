/**
 * The fleet page when the broker it watched comes back refusing the fleet view — restarted with a
 * certificate of another CA, as after a botched renewal. Central IT watches the page, not the fleet
 * view's log: the page says the broker refuses it and what to mend, in the words of that log, not
 * that the broker is unreachable. Real Mosquitto over TLS (a CA made with openssl), the real
 * `carrel fleet` command, Debian's Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { CARREL_CLI } from '../../helpers/carrel-cli.js';
import { type MosquittoBroker, mosquittoSkipReason, startTlsMosquitto } from '../../helpers/mosquitto.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason() ?? (hasOpenssl ? undefined : 'no openssl');
if (skip) console.warn(`skipping the fleet page's refused-broker test: ${skip}`);

const NAMES = 'DNS:localhost,IP:127.0.0.1';

describe.skipIf(skip !== undefined)('the fleet page, when its broker comes back refusing it', () => {
  let dir: string;
  let libraryCa: string;
  let broker: MosquittoBroker | undefined;
  let view: ChildProcess | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-fleet-page-refused-'));
    libraryCa = makeTestCa(dir, 'library-ca');
    makeTestCa(dir, 'other-ca');
    broker = await startTlsMosquitto(dir, 'library-ca', 'broker', NAMES);
    // No fleet secrets of this shell: the broker takes anyone.
    const { CARREL_FLEET_TOKEN: _token, CARREL_FLEET_PASSWORD: _password, ...env } = process.env;
    view = spawn(
      process.execPath,
      [
        CARREL_CLI,
        'fleet',
        '--broker',
        `mqtts://127.0.0.1:${broker.port}`,
        '--ca',
        libraryCa,
        // A port the system gives it, read from what it prints.
        '--http-port',
        '0',
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let said = '';
    const url = await new Promise<string>((resolve, reject) => {
      // Where the page is on stdout, the log and any error on stderr.
      for (const stream of [view!.stdout!, view!.stderr!])
        stream.on('data', (chunk: Buffer) => {
          said += chunk.toString();
          const at = /page\s+(http:\S+)\n/.exec(said)?.[1];
          if (at) resolve(at);
        });
      view!.once('exit', (code) => reject(new Error(`carrel fleet exited ${code}: ${said}`)));
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (view && view.exitCode === null) {
      view.kill('SIGTERM');
      await once(view, 'exit');
    }
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says the broker refuses it and what to mend, not that it is unreachable', async () => {
    const url = `mqtts://127.0.0.1:${broker!.port}`;
    const link = () => page.locator('#link').textContent();
    await expect.poll(link, { timeout: 10_000 }).toBe(`Live · ${url}`);
    const { port } = broker!;
    await broker!.stop();
    broker = await startTlsMosquitto(dir, 'other-ca', 'broker', NAMES, () => [], port);
    await expect.poll(link, { timeout: 15_000 }).toMatch(/^Broker refuses this fleet view — last known\. /);
    const said = await link();
    expect(said).toContain(`${url}: the broker's certificate is not signed by the CA in --ca (${libraryCa})`);
    expect(said).toContain("put the CA that signed the broker's certificate in that file");
    expect(said).not.toContain('unreachable');
    expect(await page.locator('#link').getAttribute('class')).toContain('down');
  });
});
