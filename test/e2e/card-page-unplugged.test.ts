import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';
import { freePort } from '../helpers/free-port.js';

const skip = chromiumSkipReason();

/**
 * The card printer's cable: the desk's TCP link to the simulated printer passed through as it is,
 * until the test pulls it out (every connection cut, none taken) once `afterBytes` more bytes of a
 * job went to the printer, and plugs it in again.
 */
interface PrinterCable {
  port: number;
  /** Pulls the cable once this many more bytes went from the desk to the printer; resolves then. */
  unplugAfter(bytes: number): Promise<void>;
  plugIn(): void;
  close(): Promise<void>;
}

async function printerCable(printerPort: () => number): Promise<PrinterCable> {
  let plugged = true;
  let budget: { left: number; done: () => void } | undefined;
  const sockets = new Set<Socket>();
  const unplug = () => {
    plugged = false;
    for (const socket of sockets) socket.destroy();
  };
  const server: Server = createServer((desk) => {
    if (!plugged) {
      desk.destroy();
      return;
    }
    const printer = createConnection({ host: '127.0.0.1', port: printerPort() });
    for (const socket of [desk, printer]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        sockets.delete(socket);
        desk.destroy();
        printer.destroy();
      });
    }
    printer.on('data', (chunk: Buffer) => desk.write(chunk));
    desk.on('data', (chunk: Buffer) => {
      if (!plugged) return;
      if (budget) {
        const part = chunk.subarray(0, Math.max(0, budget.left));
        printer.write(part);
        budget.left -= chunk.length;
        if (budget.left <= 0) {
          const { done } = budget;
          budget = undefined;
          unplug();
          done();
        }
        return;
      }
      printer.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    unplugAfter: (bytes) =>
      new Promise<void>((resolve) => {
        budget = { left: bytes, done: resolve };
      }),
    plugIn() {
      plugged = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        unplug();
        server.close(() => resolve());
      }),
  };
}

/**
 * The card page in Debian's Chromium against the simulated desk, used as desk staff do: a card
 * printed with a new number and its chip encoded, then a lost card reprinted while the printer's
 * cable (its TCP link to the simulated Evolis) is pulled mid-card and plugged in again.
 */
describe.skipIf(skip !== undefined)(
  'the card page as desk staff use it, the printer unplugged mid-job',
  { timeout: 90_000 },
  () => {
    let cable: PrinterCable;
    let simulatorPort = 0;
    beforeAll(async () => {
      simulatorPort = await freePort();
      cable = await printerCable(() => simulatorPort);
    });
    afterAll(async () => {
      await cable?.close();
    });
    const desk = cardDeskPage((config) => ({
      ...config,
      simulators: config.simulators.map((simulator) =>
        simulator.id === 'card-printer-sim' ? { ...simulator, port: simulatorPort } : simulator,
      ),
      devices: config.devices.map((device) =>
        device.id === 'cards-1' && device.kind === 'card-printer'
          ? {
              ...device,
              transport: { type: 'tcp', host: '127.0.0.1', port: cable.port, connectTimeoutMs: 2000 },
            }
          : device,
      ),
    }));

    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    async function api(path: string): Promise<any> {
      const response = await fetch(`${desk.testDesk.api}/api/v1${path}`, {
        headers: { authorization: `Bearer ${STAFF}` },
      });
      return response.json();
    }

    const progress = () => desk.page.locator('#progress').textContent();

    /** Fills the form for the patron with a new number and previews the card, as staff do. */
    async function previewFor(patron: string): Promise<void> {
      const { page } = desk;
      await page.getByLabel('Patron barcode').fill(patron);
      await page.getByLabel('A new number').check();
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(progress, { timeout: 10_000 }).toBe('Preview ready.');
    }

    it('prints the lost card’s replacement once the cable is back, the half-made card in the reject box', async () => {
      const { page } = desk;
      const printer = desk.testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
      await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
      await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
      await previewFor('21000001');
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect.poll(progress, { timeout: 15_000 }).toMatch(/^Card \d+ issued/);
      const first = /^Card (\d+) issued/.exec((await progress()) ?? '')![1]!;
      await expect
        .poll(async () => (await api('/rfid/card-pad/tags')).tags?.length, { timeout: 5000 })
        .toBe(1);
      await page.getByRole('button', { name: `Encode chip of card ${first}` }).click();
      await expect
        .poll(progress, { timeout: 10_000 })
        .toBe(`Chip of card ${first} encoded and read back: the card is ready.`);

      // The card is lost: Reprint, and the printer's cable pulled while the card's panels go over it.
      const unplugged = cable.unplugAfter(200_000);
      await page.getByRole('button', { name: 'Reprint (replaces the card)' }).click();
      await unplugged;
      await expect
        .poll(progress, { timeout: 20_000 })
        .toBe(
          'The card was not issued: the connection to the printer was lost. Check it is on and connected, then print again.',
        );
      expect(printer.cards().map((card) => card.outcome)).toEqual(['printed']);
      // The header says what staff check, not the link's own words (an address, "peer closed").
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 10_000 })
        .toBe('cards-1: offline — Carrel cannot reach the printer. Check it is switched on and connected.');

      // Plugged in again, staff print again as the page said: the card is made.
      cable.plugIn();
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 20_000 })
        .toBe('cards-1: online');
      await page.getByRole('button', { name: 'Reprint (replaces the card)' }).click();
      await expect.poll(progress, { timeout: 15_000 }).toMatch(/^Card \d+ issued/);
      const second = /^Card (\d+) issued/.exec((await progress()) ?? '')![1]!;
      // Said as a reprint: the card it replaces named.
      expect(await progress()).toBe(
        `Card ${second} issued, replacing card ${first} (1 card used). Stripe read back and verified.`,
      );
      // The card the cut job left half made in the printer went to the reject box first.
      expect(printer.cards().map((card) => card.outcome)).toEqual(['printed', 'rejected', 'printed']);
      const issues = (await api('/cards?limit=5')).issues;
      expect(issues[0]).toMatchObject({ cardNumber: second, result: 'issued', replaces: first });
      expect(issues[1]).toMatchObject({ result: 'failed', fault: 'link_lost', replaces: first });
    });

    it('no longer says a number just printed is the next free one', async () => {
      const { page } = desk;
      await previewFor('21000003');
      const note = page.locator('#next-number');
      const [, next] =
        /^Card number (\d+) is the next free one\./.exec((await note.textContent()) ?? '') ?? [];
      expect(next).toMatch(/^21234\d{9}$/);
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(progress, { timeout: 15_000 })
        .toBe(`Card ${next} issued (1 card used). Stripe read back and verified.`);
      // That number is the card's now: the note beside the preview goes with it.
      expect(await note.isVisible()).toBe(false);
      expect(await note.textContent()).toBe('');
    });
  },
);
