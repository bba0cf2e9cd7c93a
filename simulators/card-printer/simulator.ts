/**
 * A simulated card printer — Evolis (ESC commands) or Magicard (spool jobs and REQ,STA queries): the
 * real stream on TCP (and a pty), parsed by the codec, answered by the printer model, every card
 * that leaves rendered as PNG (front and back) on its page and control API:
 *
 *   GET  /api/state                 the printer: ribbon, feeder, cover, faults, counters, stripe
 *   GET  /api/cards                 the last cards out (printed or rejected), with their tracks
 *   GET  /api/cards/<n>/front.png   a card's front (back.png its back), 1016 × 648
 *   PUT  /api/faults                { noCard?, ribbonOut?, coverOpen?, magstripeWriteErrors?, jam? }
 *   POST /api/feeder, /api/ribbon   { cards } / { panels }: load
 *   POST /api/clean                 the cleaning is done
 *   GET  /                          the page
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { encodePng } from '../../src/core/png.js';
import {
  CARD_HEIGHT,
  CARD_WIDTH,
  EvolisCommandFramer,
  panelsToImage,
} from '../../src/protocols/evolis/index.js';
import { MagicardStreamParser, planesToImage } from '../../src/protocols/magicard/index.js';
import { ControlProblem, notFound, ok, startControlServer } from '../common/control-server.js';
import { SerialLinks } from '../common/serial-links.js';
import { EvolisModel, type EvolisModelOptions, type PrintedCard } from './evolis-model.js';
import { MagicardModel, type MagicardPrintedCard } from './magicard-model.js';
import { cardPrinterPage } from './page.js';

export type CardPrinterMake = 'evolis' | 'magicard';

export interface CardPrinterSimulatorOptions extends EvolisModelOptions {
  /** Which printer it is: `evolis` (default) or `magicard`. */
  make?: CardPrinterMake;
  host?: string;
  port?: number;
  httpPort?: number | undefined;
  logger?: Logger;
}

export interface CardSummary {
  number: number;
  at: string;
  outcome: PrintedCard['outcome'] | MagicardPrintedCard['outcome'];
  sides: { front: string[]; back: string[] };
  tracks: PrintedCard['tracks'];
}

export interface CardPrinterSimulator {
  readonly port: number;
  readonly httpUrl: string;
  readonly make: CardPrinterMake;
  readonly model: EvolisModel | MagicardModel;
  /** Emits `card` (CardSummary) for every card that leaves the printer. */
  readonly events: EventEmitter;
  cards(): CardSummary[];
  /** A card's side as PNG (1016 × 648), rendered once. */
  cardPng(number: number, side: 'front' | 'back'): Buffer | undefined;
  state(): Record<string, unknown>;
  attach(stream: Duplex): void;
  attachSerialPath(path: string): Promise<void>;
  close(): Promise<void>;
}

const faultsSchema = z.strictObject({
  noCard: z.boolean().optional(),
  ribbonOut: z.boolean().optional(),
  coverOpen: z.boolean().optional(),
  magstripeWriteErrors: z.number().int().min(0).max(1000).optional(),
  jam: z.boolean().optional(),
});

export async function startCardPrinterSimulator(
  options: CardPrinterSimulatorOptions = {},
): Promise<CardPrinterSimulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger()).child({ module: 'card-printer-sim' });
  const make = options.make ?? 'evolis';
  const model = make === 'magicard' ? new MagicardModel(options) : new EvolisModel(options);
  const events = new EventEmitter();
  const pngs = new Map<string, Buffer>();
  const sockets = new Set<Socket>();
  const serialLinks = new SerialLinks();
  model.onCard = (card: PrintedCard | MagicardPrintedCard) => {
    logger.info({ card: card.number, outcome: card.outcome }, 'card out');
    events.emit('card', summary(card));
  };

  let bytesReceived = 0;
  const attach = (stream: Duplex) => {
    if (model instanceof MagicardModel) {
      const parser = new MagicardStreamParser();
      stream.on('data', (chunk: Buffer) => {
        bytesReceived += chunk.length;
        for (const item of parser.push(chunk)) {
          if (!item.ok) {
            logger.warn({ code: item.error.code }, item.error.message);
            continue;
          }
          const reply = model.handle(item.message);
          if (reply && !stream.destroyed) stream.write(reply);
        }
      });
      stream.on('error', () => {});
      return;
    }
    const framer = new EvolisCommandFramer();
    stream.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
      for (const item of framer.push(chunk)) {
        if (!item.ok) {
          logger.warn({ code: item.error.code }, item.error.message);
          continue;
        }
        const reply = model.handle(item.command);
        if (!stream.destroyed) stream.write(`${reply}\r`);
      }
    });
    stream.on('error', () => {});
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const cardPng = (number: number, side: 'front' | 'back') => {
    const card = (model.cards as Array<PrintedCard | MagicardPrintedCard>).find((c) => c.number === number);
    if (!card) return undefined;
    const key = `${number}/${side}`;
    let png = pngs.get(key);
    if (!png) {
      png = encodePng(render(card, side), CARD_WIDTH, CARD_HEIGHT);
      pngs.set(key, png);
      if (pngs.size > 80) pngs.delete(pngs.keys().next().value!);
    }
    return png;
  };

  const state = () => ({
    port,
    model: make === 'magicard' ? 'Magicard Rio Pro (Carrel simulator)' : 'Evolis Primacy (Carrel simulator)',
    make,
    condition: model.condition(),
    ribbon: { type: model.ribbon, panelsLeft: model.ribbonPanels },
    feeder: model.feeder,
    coverOpen: model.coverOpen,
    faults: { ...model.faults },
    counters: {
      cardsPrinted: model.cardsPrinted,
      panelsPrinted: model.panelsPrinted,
      cardsSinceCleaning: model.cardsSinceCleaning,
    },
    cardInPrinter: model.cardInPrinter,
    stripe: model.stripe(),
    connections: sockets.size + serialLinks.size,
    bytesReceived,
  });

  const simulator: CardPrinterSimulator = {
    port,
    httpUrl: '',
    make,
    model,
    events,
    cards: () => (model.cards as Array<PrintedCard | MagicardPrintedCard>).map(summary),
    cardPng,
    state,
    attach,
    attachSerialPath: (path) => serialLinks.attach(path, 115200, attach),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await serialLinks.close();
      await control?.close();
    },
  };

  let control: { url: string; close(): Promise<void> } | undefined;
  if (options.httpPort !== undefined) {
    try {
      control = await startControlServer(
        async (request) => {
          const { method, path } = request;
          if (method === 'GET' && path === '/')
            return { status: 200, text: cardPrinterPage(), type: 'text/html' };
          if (method === 'GET' && path === '/api/state') return ok(state());
          if (method === 'GET' && path === '/api/cards') return ok(simulator.cards());
          const png = /^\/api\/cards\/(\d+)\/(front|back)\.png$/.exec(path);
          if (method === 'GET' && png) {
            const bytes = cardPng(Number(png[1]), png[2] as 'front' | 'back');
            if (!bytes) throw new ControlProblem(404, `no card ${png[1]}`);
            return { status: 200, bytes, type: 'image/png' };
          }
          if (method === 'PUT' && path === '/api/faults') {
            const change = await request.body(faultsSchema);
            if (change.noCard !== undefined) model.feeder = change.noCard ? 0 : Math.max(model.feeder, 100);
            if (change.ribbonOut !== undefined)
              model.ribbonPanels = change.ribbonOut ? 0 : Math.max(model.ribbonPanels, 1000);
            if (change.coverOpen !== undefined) model.coverOpen = change.coverOpen;
            if (change.magstripeWriteErrors !== undefined)
              model.faults.magstripeWriteErrors = change.magstripeWriteErrors;
            if (change.jam === true) model.faults.jam = true;
            if (change.jam === false) model.clearJam();
            return ok(state());
          }
          if (method === 'POST' && path === '/api/feeder') {
            const { cards } = await request.body(z.strictObject({ cards: z.number().int().min(0).max(500) }));
            model.feeder = cards;
            return ok(state());
          }
          if (method === 'POST' && path === '/api/ribbon') {
            const { panels } = await request.body(
              z.strictObject({ panels: z.number().int().min(0).max(10_000) }),
            );
            model.ribbonPanels = panels;
            return ok(state());
          }
          if (method === 'POST' && path === '/api/clean') {
            model.clean();
            return ok(state());
          }
          return notFound(request);
        },
        { host, port: options.httpPort },
      );
      Object.assign(simulator, { httpUrl: control.url });
    } catch (error) {
      await simulator.close();
      throw error;
    }
  }
  return simulator;
}

/** A card's side as printed on white: Evolis panels or Magicard planes. */
function render(card: PrintedCard | MagicardPrintedCard, side: 'front' | 'back'): Uint8Array {
  const layers = side === 'front' ? card.front : card.back;
  return layers.length > 0 && 'levels' in layers[0]!
    ? panelsToImage(layers as PrintedCard['front'])
    : planesToImage(layers as MagicardPrintedCard['front']);
}

function summary(card: PrintedCard | MagicardPrintedCard): CardSummary {
  return {
    number: card.number,
    at: card.at,
    outcome: card.outcome,
    sides: { front: card.front.map((p) => p.name), back: card.back.map((p) => p.name) },
    tracks: card.tracks,
  };
}
