import { afterEach, describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../../simulators/card-printer/evolis-model.js';
import {
  type CardPrinterSimulator,
  startCardPrinterSimulator,
} from '../../../simulators/card-printer/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { decodePng } from '../../../src/core/png.js';
import { type CardJob, EvolisPrinter } from '../../../src/devices/card-printer/evolis-printer.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { CARD_WIDTH } from '../../../src/protocols/evolis/index.js';
import { until } from '../../helpers/until.js';

let sim: CardPrinterSimulator | undefined;
let printer: EvolisPrinter | undefined;

afterEach(async () => {
  await printer?.disconnect();
  await sim?.close();
  printer = undefined;
  sim = undefined;
});

async function rig(
  options: Parameters<typeof startCardPrinterSimulator>[0] = {},
  running?: CardPrinterSimulator,
) {
  sim = running ?? (await startCardPrinterSimulator({ httpPort: 0, ...options }));
  printer = new EvolisPrinter({
    id: 'cards-1',
    transport: new TcpTransport({ host: '127.0.0.1', port: sim.port }),
    clock: systemClock,
    logger: silentLogger(),
    statusIntervalMs: 50,
    replyTimeoutMs: 2000,
    ribbonLowPanels: 20,
    printTimeoutMs: 5000,
  });
  await printer.connect();
  return { sim, printer };
}

function job(): CardJob {
  const image = new Uint8Array(CARD_WIDTH * 648 * 4).fill(255);
  for (let p = 0; p < image.length; p += 4) if ((p / 4) % 7 === 0) image.set([200, 30, 60, 255], p);
  for (let p = 0; p < 4 * CARD_WIDTH * 40; p += 4) image.set([0, 0, 0, 255], p); // a black band on top
  const back = new Uint8Array(CARD_WIDTH * 648 * 4).fill(255);
  for (let y = 0; y < 648; y++) back.fill(0, y * CARD_WIDTH * 4, (y * CARD_WIDTH + 8) * 4); // a black edge
  return {
    ribbon: 'ymcko',
    front: image,
    back,
    tracks: { 2: '21234000123455' },
  };
}

describe('Evolis printer driver against the simulated printer (TCP)', () => {
  it('identifies the printer and reads its condition on connect', async () => {
    const { printer } = await rig();
    expect(printer.condition()).toMatchObject({
      status: 'online',
      detail: {
        model: 'Evolis Primacy (Carrel simulator)',
        ribbon: { type: 'ymcko', panelsLeft: 1000, low: false },
      },
    });
  });

  it('prints a card: the stripe reads back the card number, the printed front is the image sent', async () => {
    const { sim, printer } = await rig();
    const card = job();
    const result = await printer.printCard(card);
    expect(result.readBack).toEqual({ 2: '21234000123455' });
    const [printed] = sim.cards();
    expect(printed).toMatchObject({ outcome: 'printed', tracks: { 2: '21234000123455' } });
    expect(printed!.sides).toEqual({ front: ['y', 'm', 'c', 'k', 'o'], back: ['k'] });
    const png = decodePng(sim.cardPng(printed!.number, 'front')!);
    expect(Buffer.from(png.rgba).equals(printer.printedImage(card.front, 'ymcko'))).toBe(true);
    expect(result.magstripe).toBe('verified');
    expect(sim.model.ribbonPanels).toBe(1000 - 6);
  });

  it('sends a card whose stripe does not read back to the reject box, and says so', async () => {
    const { sim, printer } = await rig();
    sim.model.faults.magstripeWriteErrors = 1;
    await expect(printer.printCard(job())).rejects.toMatchObject({
      code: 'card_magstripe_checksum',
      cardTaken: true,
      rejected: true,
    });
    expect(sim.cards()).toMatchObject([{ outcome: 'rejected', sides: { front: [], back: [] } }]);
    expect(sim.model.ribbonPanels).toBe(1000); // no ink spent on a card that failed its stripe
  });

  it('refuses with no card in the feeder, the cover open or a jam, and reports each as its condition', async () => {
    const { sim, printer } = await rig();
    const events: string[] = [];
    printer.on('event', (type: string) => events.push(type));
    sim.model.feeder = 0;
    await expect(printer.printCard(job())).rejects.toMatchObject({ code: 'card_no_card', cardTaken: false });
    expect(printer.condition()).toMatchObject({ status: 'degraded', reason: 'no_card' });
    sim.model.feeder = 10;
    sim.model.coverOpen = true;
    await until(() => printer.condition().reason === 'cover_open' || undefined);
    sim.model.coverOpen = false;
    sim.model.faults.jam = true;
    await until(() => printer.condition().reason === 'jam' || undefined);
    sim.model.clearJam();
    await until(() => printer.condition().status === 'online' || undefined);
    expect(events).toEqual(['no_card', 'cover_open', 'jam', 'ready']);
  });

  it('takes no card when the ribbon has fewer panels left than the card prints, and says how many', async () => {
    const { sim, printer } = await rig({ ribbonPanels: 3 });
    await expect(printer.printCard(job())).rejects.toMatchObject({
      code: 'card_ribbon_out',
      cardTaken: false,
      message:
        'the ribbon has 3 panels left and this card needs 6: put in a new ribbon, then print again (no card was taken)',
    });
    expect(sim.cards()).toEqual([]);
    expect(printer.status().ribbon).toMatchObject({ panelsLeft: 3, low: true });
    sim.model.ribbonPanels = 0;
    await expect(printer.printCard(job())).rejects.toMatchObject({
      code: 'card_ribbon_out',
      cardTaken: false,
    });
    await until(() => printer.condition().reason === 'ribbon_out' || undefined);
    expect(sim.cards()).toEqual([]);
  });

  it('says the ribbon is out while it has fewer panels left than one side of a card prints on it', async () => {
    // A colour ribbon prints a side on five panels (y m c k o): with three left no card can be made,
    // and the desk page and IT's monitoring must not go on saying the printer is online.
    const { sim, printer } = await rig({ ribbonPanels: 3 });
    expect(printer.condition()).toMatchObject({ status: 'degraded', reason: 'ribbon_out' });
    expect(printer.status().ribbon).toMatchObject({ type: 'ymcko', panelsLeft: 3, low: true });
    // A new ribbon: online again at the next poll.
    sim.model.ribbonPanels = 1000;
    await until(() => printer.condition().status === 'online' || undefined);
    // Five left: a side still prints.
    sim.model.ribbonPanels = 5;
    await until(() => printer.status().ribbon.panelsLeft === 5 || undefined);
    expect(printer.condition()).toMatchObject({ status: 'online', reason: null });
  });

  it('keeps a black ribbon online down to its last panel: a side prints on one', async () => {
    const { printer } = await rig({ ribbon: 'k', ribbonPanels: 1 });
    expect(printer.status().ribbon).toMatchObject({ type: 'k', panelsLeft: 1 });
    expect(printer.condition()).toMatchObject({ status: 'online', reason: null });
  });
});

describe('Evolis printer driver, a card left inside by a Carrel that stopped mid-card (TCP)', () => {
  it('sends that card to the reject box and makes the next card, though it never knew of it', async () => {
    sim = await startCardPrinterSimulator({ httpPort: 0 });
    // The Carrel before took a card (Ss) and stopped before its eject: the card is still in the printer.
    expect((sim.model as EvolisModel).start()).toBe('OK');
    const { printer } = await rig({}, sim);
    const result = await printer.printCard(job());
    expect(result.magstripe).toBe('verified');
    expect(sim.cards().map((card) => card.outcome)).toEqual(['rejected', 'printed']);
    expect(sim.model.cardInPrinter).toBe(false);
  });
});
