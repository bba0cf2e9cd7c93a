/**
 * The card page when Carrel dies while printing the card staff pressed Print for: the printer ejects
 * the card, made, and `carrel start` is SIGKILLed before it answers (a power cut, a crash). The page
 * heard nothing; Carrel is started again on the same port and database, and staff press Print card
 * again. The page must not print a second card, and must say in words what happened and what to do
 * — not the API's "request id … look it up" — and let staff record the card they find in the output
 * hopper. The printer and the ILS are simulators in this process; the daemon runs the compiled code
 * in dist/: `npm run build` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { type CardPrinterSimulator, startCardPrinterSimulator } from '../../simulators/card-printer/index.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { previewCardFor } from '../helpers/card-desk-page.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';
import { assertBuilt } from '../helpers/killable-child.js';

const skip = chromiumSkipReason();

let dir: string;
let ils: IlsSimulator;
let printer: CardPrinterSimulator;
let daemon: CarrelDaemon | undefined;
let browser: Browser | undefined;

/** The desk's config, on `port` (0 the first time; the port it took after, so a page finds it again). */
function writeConfig(port: number): string {
  return writeDaemonConfig(dir, 'print-in-doubt', {
    http: { host: '127.0.0.1', port },
    offline: { enabled: false },
    devices: [
      simulatedIlsDevice(ils.port),
      {
        id: 'cards-1',
        kind: 'card-printer',
        transport: { type: 'tcp', host: '127.0.0.1', port: printer.port },
      },
    ],
  });
}

async function startDaemon(configPath: string): Promise<void> {
  daemon = await startCarrelDaemon(configPath);
  await waitForDevice(daemon.api, 'cards-1', 'online', 15_000);
}

beforeAll(async () => {
  if (skip) return;
  await assertBuilt(['src/gateway/families/card-printer', 'src/api/families/card-printer.ts']);
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-card-print-in-doubt-'));
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  printer = await startCardPrinterSimulator();
  await startDaemon(writeConfig(0));
  writeConfig(Number(new URL(daemon!.api).port));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (daemon) await killDaemon(daemon.child);
  await printer?.close();
  await ils?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip !== undefined)('the card page, Carrel killed as the printer ejects the card', () => {
  it('prints no second card, says in words to look in the output hopper, and records the card found there', async () => {
    const page = await browser!.newPage();
    await previewCardFor(page, `${daemon!.api}/cards`, '21000002');

    // The printer ejects the card, made, and Carrel dies before its answer.
    const model = printer.model as EvolisModel;
    const handle = model.handle.bind(model);
    model.handle = (command) => {
      if (command.name !== 'Se') return handle(command);
      model.handle = handle;
      const reply = handle(command);
      daemon!.child.kill('SIGKILL');
      return reply;
    };
    const killed = new Promise((resolve) => daemon!.child.once('exit', resolve));
    await page.getByRole('button', { name: 'Print card' }).click();
    await killed;
    expect(printer.cards().map((card) => [card.outcome, card.tracks[2]])).toEqual([['printed', '21000002']]);
    await startDaemon(path.join(dir, 'carrel.json'));
    await expect
      .poll(() => page.locator('#printer').textContent(), { timeout: 20_000 })
      .toBe('cards-1: online');

    // Print card again, as staff do when the page heard nothing.
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect
      .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
      .toBe(
        'Carrel stopped while this card was being printed, so whether the printer made it is not known: look in the printer’s output hopper. If the card is there, it is the patron’s card — do not print it again; press Found in the output hopper if it is offered. If it is not there, press Print card to print it.',
      );
    expect(printer.cards()).toHaveLength(1);
    await page.getByRole('button', { name: 'Found in the output hopper' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Card 21000002 found in the output hopper: it is the patron’s card, issued.');
    expect(printer.cards()).toHaveLength(1);
  }, 120_000);
});
